import { Controller, Get, Module, Post } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { AppModule } from '../src/app.module';
import { loadConfig } from '../src/config/app-config';
import { openDatabase, type DatabaseHandle } from '../src/database/database';
import { Public } from '../src/identity/authentication/route-access.decorators';
import { RequireDpop } from '../src/identity/dpop/require-dpop.decorator';
import { RequireScope } from '../src/identity/scope/require-scope.decorator';
import { SCHEMA } from '../src/schema';
import { workerDatabaseUrl } from './support/db';
import { accessViolations, listRoutes } from './support/route-inventory';

@Controller('forgotten')
class ForgetfulController {
  @Get('naked')
  naked(): string {
    return 'anyone';
  }

  @Public()
  @RequireScope('admin:cluster')
  @Post('confused')
  confused(): string {
    return 'who knows';
  }
}

@Module({ controllers: [ForgetfulController] })
class ForgetfulModule {}

@Controller('sender-constrained')
class DpopController {
  @RequireDpop()
  @Post('rotate')
  rotate(): string {
    return 'rotated';
  }

  @Public()
  @RequireDpop()
  @Get('open')
  open(): string {
    return 'contradiction';
  }
}

@Module({ controllers: [DpopController] })
class DpopModule {}

async function inventory(extra: (new () => unknown)[] = []) {
  const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: await workerDatabaseUrl(), PORT: '3999' });
  const database: DatabaseHandle = await openDatabase(config, SCHEMA);
  const moduleRef = await Test.createTestingModule({
    imports: [DiscoveryModule, AppModule.forRoot(config, database, extra)],
  }).compile();
  try {
    return listRoutes(moduleRef);
  } finally {
    await moduleRef.close(); // closes the database too, as the app does on shutdown
  }
}

describe('route inventory', () => {
  it('every route of the service is @Public() or states a requirement, never both', async () => {
    expect(accessViolations(await inventory())).toEqual([]);
  });

  it('lists each route with its access rule (a change here is a change of who may call what)', async () => {
    const routes = (await inventory()).map(({ route, public: open, requirements }) => [
      route,
      open ? 'public' : requirements.join(' & '),
    ]);
    expect(routes).toEqual([
      ['DELETE /mcp/codebase', 'scope:read:mcp:codebase'],
      ['DELETE /mcp/data', 'scope:read:mcp:data'],
      ['DELETE /me/oauth-connections/:provider', 'authenticated'],
      [
        'DELETE /tenancy/orgs/:orgId/broker-credentials/:credentialId',
        'scope:manage:broker_credentials & step-up & org',
      ],
      ['DELETE /tenancy/orgs/:orgId/idp-connections/:connectionId', 'scope:admin:tenant & step-up & org'],
      ['DELETE /tenancy/orgs/:orgId/idp-group-mappings/:mappingId', 'scope:admin:tenant & step-up & org'],
      ['DELETE /tenancy/orgs/:orgId/invites/:inviteId', 'scope:admin:tenant & org'],
      ['DELETE /tenancy/orgs/:orgId/members/:membershipId', 'scope:admin:tenant & step-up & org'],
      ['DELETE /tenancy/orgs/:orgId/teams/:teamId', 'scope:admin:tenant & org'],
      ['DELETE /tenancy/orgs/:orgId/workspaces/:workspaceId', 'scope:admin:tenant & org'],
      ['DELETE /tenancy/orgs/:orgId/workspaces/:workspaceId/labs/:labId', 'scope:admin:tenant & org'],
      ['DELETE /tenancy/orgs/:orgId/workspaces/:workspaceId/projects/:projectId', 'scope:admin:tenant & org'],
      ['GET /.well-known/jwks.json', 'public'],
      ['GET /.well-known/oauth-protected-resource/mcp/codebase', 'public'],
      ['GET /.well-known/oauth-protected-resource/mcp/data', 'public'],
      ['GET /.well-known/openid-configuration', 'public'],
      ['GET /audit/events', 'org'],
      ['GET /audit/events/export', 'step-up & org'],
      ['GET /audit/verify', 'org'],
      ['GET /audit/verify/all', 'scope:admin:cluster'],
      ['GET /auth/config', 'public'],
      ['GET /auth/whoami', 'authenticated'],
      ['GET /healthz', 'public'],
      ['GET /mcp/codebase', 'scope:read:mcp:codebase'],
      ['GET /mcp/data', 'scope:read:mcp:data'],
      ['GET /me/oauth-connections', 'authenticated'],
      ['GET /me/oauth-connections/:provider/callback', 'authenticated'],
      ['GET /me/oauth-connections/providers', 'authenticated'],
      ['GET /metrics', 'public'],
      ['GET /readyz', 'public'],
      ['GET /tenancy/orgs', 'authenticated'],
      ['GET /tenancy/orgs/:orgId', 'org'],
      ['GET /tenancy/orgs/:orgId/broker-credentials', 'scope:manage:broker_credentials & org'],
      ['GET /tenancy/orgs/:orgId/broker-credentials/:credentialId', 'scope:manage:broker_credentials & org'],
      ['GET /tenancy/orgs/:orgId/idp-connections', 'org'],
      ['GET /tenancy/orgs/:orgId/idp-connections/:connectionId', 'org'],
      ['GET /tenancy/orgs/:orgId/idp-group-mappings', 'org'],
      ['GET /tenancy/orgs/:orgId/idp-group-mappings/:mappingId', 'org'],
      ['GET /tenancy/orgs/:orgId/invites', 'org'],
      ['GET /tenancy/orgs/:orgId/members', 'org'],
      ['GET /tenancy/orgs/:orgId/members/:membershipId', 'org'],
      ['GET /tenancy/orgs/:orgId/teams', 'org'],
      ['GET /tenancy/orgs/:orgId/teams/:teamId', 'org'],
      ['GET /tenancy/orgs/:orgId/workspaces', 'org'],
      ['GET /tenancy/orgs/:orgId/workspaces/:workspaceId', 'org'],
      ['GET /tenancy/orgs/:orgId/workspaces/:workspaceId/labs', 'org'],
      ['GET /tenancy/orgs/:orgId/workspaces/:workspaceId/labs/:labId', 'org'],
      ['GET /tenancy/orgs/:orgId/workspaces/:workspaceId/projects', 'org'],
      ['GET /tenancy/orgs/:orgId/workspaces/:workspaceId/projects/:projectId', 'org'],
      ['OPTIONS /mcp/codebase', 'public'],
      ['OPTIONS /mcp/codebase/tools/:tool/invoke', 'public'],
      ['OPTIONS /mcp/data', 'public'],
      ['OPTIONS /mcp/data/tools/:tool/invoke', 'public'],
      ['PATCH /tenancy/orgs/:orgId', 'scope:admin:tenant & org'],
      ['PATCH /tenancy/orgs/:orgId/idp-connections/:connectionId', 'scope:admin:tenant & step-up & org'],
      ['PATCH /tenancy/orgs/:orgId/members/:membershipId', 'scope:admin:tenant & org'],
      ['PATCH /tenancy/orgs/:orgId/teams/:teamId', 'scope:admin:tenant & org'],
      ['PATCH /tenancy/orgs/:orgId/workspaces/:workspaceId', 'scope:admin:tenant & org'],
      ['PATCH /tenancy/orgs/:orgId/workspaces/:workspaceId/labs/:labId', 'scope:admin:tenant & org'],
      ['PATCH /tenancy/orgs/:orgId/workspaces/:workspaceId/projects/:projectId', 'scope:admin:tenant & org'],

      ['POST /_internal/auth/preregister-check', 'm2m-only'],
      // Public to the JWT guard only: the webhook's own guard checks its shared secret (@LogStreamSecret).
      ['POST /_internal/auth0/log-stream', 'public'],
      ['POST /_internal/auth0/sync', 'm2m-only'],
      ['POST /_internal/credentials/oauth-connections/resolve', 'm2m-only'],
      ['POST /_internal/credentials/resolve', 'm2m-only'],
      ['POST /_internal/idp/sync-groups', 'm2m-only'],
      // Public to the JWT guard: the credential is the logout token, signed by the issuer.
      ['POST /_internal/oidc/backchannel-logout', 'public'],
      ['POST /auth/agent-token', 'authenticated'],
      ['POST /auth/local/login', 'public'],
      ['POST /mcp/codebase', 'scope:read:mcp:codebase'],
      ['POST /mcp/codebase/tools/:tool/invoke', 'scope:read:mcp:codebase'],
      ['POST /mcp/data', 'scope:read:mcp:data'],
      ['POST /mcp/data/tools/:tool/invoke', 'scope:read:mcp:data'],
      ['POST /me/oauth-connections/:provider/start', 'authenticated'],
      ['POST /oauth/token', 'public'],
      ['POST /tenancy/invites/accept', 'authenticated'],
      ['POST /tenancy/orgs', 'scope:admin:cluster'],
      ['POST /tenancy/orgs/:orgId/broker-credentials', 'scope:manage:broker_credentials & step-up & org'],
      ['POST /tenancy/orgs/:orgId/idp-connections', 'scope:admin:tenant & step-up & org'],
      ['POST /tenancy/orgs/:orgId/idp-group-mappings', 'scope:admin:tenant & step-up & org'],
      ['POST /tenancy/orgs/:orgId/invites', 'scope:admin:tenant & step-up & org'],
      ['POST /tenancy/orgs/:orgId/members', 'scope:admin:tenant & org'],
      ['POST /tenancy/orgs/:orgId/teams', 'scope:admin:tenant & org'],
      ['POST /tenancy/orgs/:orgId/workspaces', 'scope:admin:tenant & org'],
      ['POST /tenancy/orgs/:orgId/workspaces/:workspaceId/labs', 'scope:admin:tenant & org'],
      ['POST /tenancy/orgs/:orgId/workspaces/:workspaceId/projects', 'scope:admin:tenant & org'],
      [
        'PUT /tenancy/orgs/:orgId/broker-credentials/:credentialId',
        'scope:manage:broker_credentials & step-up & org',
      ],
      ['PUT /tenancy/orgs/:orgId/strategy', 'scope:admin:tenant & step-up & org'],
    ]);
  });

  it('fails on a route without a decorator and on @Public() combined with a requirement', async () => {
    const violations = accessViolations(await inventory([ForgetfulModule]));
    expect(violations).toEqual([
      'GET /forgotten/naked (ForgetfulController.naked) has neither @Public() nor a requirement decorator',
      'POST /forgotten/confused (ForgetfulController.confused) is @Public() and also requires scope:admin:cluster',
    ]);
  });

  it('knows @RequireDpop() as a requirement, which @Public() contradicts', async () => {
    const routes = await inventory([DpopModule]);
    expect(routes.find((route) => route.route === 'POST /sender-constrained/rotate')?.requirements).toEqual([
      'dpop',
    ]);
    expect(accessViolations(routes)).toEqual([
      'GET /sender-constrained/open (DpopController.open) is @Public() and also requires dpop',
    ]);
  });
});
