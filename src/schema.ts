import type { DatabaseSchema } from './database/database';
import { LocalSigningKey } from './identity/local/signing-key.entity';
import { Membership } from './tenancy/memberships/membership.entity';
import { Organization } from './tenancy/organizations/organization.entity';
import { User } from './tenancy/users/user.entity';
import { Workspace } from './tenancy/workspaces/workspace.entity';
import { Team } from './tenancy/teams/team.entity';
import { Lab, Project } from './tenancy/projects/workspace-child.entity';
import { IdpConnection } from './tenancy/idp-connections/idp-connection.entity';
import { IdpGroupMapping } from './tenancy/idp-group-mappings/idp-group-mapping.entity';
import { Invite } from './tenancy/invites/invite.entity';
import { AuditEvent } from './audit/ledger/audit-event.entity';
import { BrokerCredential } from './credentials/broker-credentials/broker-credential.entity';
import { ServiceSecret } from './credentials/service-secrets/service-secret.entity';
import { OAuthAuthorization, OAuthConnection } from './credentials/oauth-connections/oauth-connection.entity';

import { TokenRevocation } from './internal/revocation/token-revocation.entity';
import { Auth0LogEvent } from './internal/log-stream/auth0-log-event.entity';
import { LogoutTokenJti } from './internal/backchannel-logout/logout-token-jti.entity';
import { CreateIdentityCore1764064800000 } from '../migrations/1764064800000-CreateIdentityCore';
import { CreateAppRole1764150000000 } from '../migrations/1764150000000-CreateAppRole';
import { CreateTenancy1764200000000 } from '../migrations/1764200000000-CreateTenancy';
import { CreateSecurityAuditLedger1764400000000 } from '../migrations/1764400000000-CreateSecurityAuditLedger';
import { CreateBrokerCredentials1764530000000 } from '../migrations/1764530000000-CreateBrokerCredentials';
import { CreateServiceSecrets1764530000001 } from '../migrations/1764530000001-CreateServiceSecrets';
import { CreateOAuthConnections1764530000002 } from '../migrations/1764530000002-CreateOAuthConnections';

import { AddAuth0Sync1764500000000 } from '../migrations/1764500000000-AddAuth0Sync';
import { CreateTokenRevocations1764510000000 } from '../migrations/1764510000000-CreateTokenRevocations';

/** Every entity and migration, as classes (no globs: ts-jest and dist/ resolve them alike). */
export const SCHEMA: DatabaseSchema = {
  entities: [
    LocalSigningKey,
    Organization,
    Team,
    Workspace,
    Project,
    Lab,
    User,
    Membership,
    IdpConnection,
    IdpGroupMapping,
    Invite,
    AuditEvent,
    BrokerCredential,
    ServiceSecret,
    OAuthConnection,
    OAuthAuthorization,

    TokenRevocation,
    Auth0LogEvent,
    LogoutTokenJti,
  ],
  migrations: [
    CreateIdentityCore1764064800000,
    CreateAppRole1764150000000,
    CreateTenancy1764200000000,
    CreateSecurityAuditLedger1764400000000,
    CreateBrokerCredentials1764530000000,
    CreateServiceSecrets1764530000001,
    CreateOAuthConnections1764530000002,

    AddAuth0Sync1764500000000,
    CreateTokenRevocations1764510000000,
  ],
};
