import type { BrokerKind } from '../broker-credentials/broker-credential.entity';
import { brokerBinding } from '../broker-credentials/broker-credentials.service';
import { serviceSecretBinding } from '../service-secrets/credential-resolver';
import { connectionBinding, verifierBinding } from '../oauth-connections/oauth-connections.service';
import type { SealedTable } from './kek-rotation';

/** Every table holding sealed secrets, for key rotation. */
export const SEALED_TABLES: readonly SealedTable[] = [
  {
    table: 'broker_credentials',
    columns: ['org_id', 'kind'],
    bindingOf: (row) => brokerBinding({ id: row.id, orgId: row.org_id, kind: row.kind as BrokerKind }),
  },
  { table: 'service_secrets', columns: ['name'], bindingOf: (row) => serviceSecretBinding(row.name) },
  {
    table: 'oauth_connections',
    columns: ['user_id', 'provider'],
    bindingOf: (row) => connectionBinding({ id: row.id, userId: row.user_id, provider: row.provider }),
  },
  {
    table: 'oauth_authorizations',
    columns: ['user_id', 'provider'],
    bindingOf: (row) => verifierBinding({ id: row.id, userId: row.user_id, provider: row.provider }),
  },
];
