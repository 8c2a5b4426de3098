import { Controller, Get, Module, Post } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { AppModule } from '../src/app.module';
import { loadConfig } from '../src/config/app-config';
import { openDatabase, type DatabaseHandle } from '../src/database/database';
import { Public } from '../src/identity/authentication/route-access.decorators';
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
      ['DELETE /tenancy/orgs/:orgId/teams/:teamId', 'scope:admin:tenant & org'],
      ['GET /.well-known/jwks.json', 'public'],
      ['GET /.well-known/openid-configuration', 'public'],
      ['GET /audit/events', 'org'],
      ['GET /audit/events/export', 'step-up & org'],
      ['GET /audit/verify', 'org'],
      ['GET /audit/verify/all', 'scope:admin:cluster'],
      ['GET /auth/config', 'public'],
      ['GET /auth/whoami', 'authenticated'],
      ['GET /healthz', 'public'],
      ['GET /metrics', 'public'],
      ['GET /readyz', 'public'],
      ['GET /tenancy/orgs/:orgId/teams', 'org'],
      ['GET /tenancy/orgs/:orgId/teams/:teamId', 'org'],
      ['PATCH /tenancy/orgs/:orgId/teams/:teamId', 'scope:admin:tenant & org'],
      ['POST /auth/local/login', 'public'],
      ['POST /oauth/token', 'public'],
      ['POST /tenancy/orgs/:orgId/teams', 'scope:admin:tenant & org'],
    ]);
  });

  it('fails on a route without a decorator and on @Public() combined with a requirement', async () => {
    const violations = accessViolations(await inventory([ForgetfulModule]));
    expect(violations).toEqual([
      'GET /forgotten/naked (ForgetfulController.naked) has neither @Public() nor a requirement decorator',
      'POST /forgotten/confused (ForgetfulController.confused) is @Public() and also requires scope:admin:cluster',
    ]);
  });
});
