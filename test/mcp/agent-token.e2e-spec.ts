import { decodeJwt } from 'jose';
import type { Client } from 'pg';
import { kek, seedServiceSecret, superuser, uniqueMarker } from '../credentials/support';
import { startTestApp, type TestApp } from '../support/app';
import { workerDatabaseUrl } from '../support/db';
import { TestIssuer } from '../support/issuer';
import { freePort } from '../support/ports';
import { runToExit } from '../support/process';
import { REDIS_URL } from '../support/services';
import { CLAIMS } from '../support/tenancy';
import { TokenExchangeIdp } from '../support/token-exchange-idp';

const EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN = 'urn:ietf:params:oauth:token-type:access_token';
const AGENT = 'urn:alphaswarm:params:oauth:token-type:agent';
const ORG = '00000000-0000-4000-8000-00000000c0de';
const CLIENTS = JSON.stringify([
  { client_id: 'ci-runner', client_secret: 'ci-runner-secret-0123456789', permissions: ['read:logs'] },
]);

describe('delegated agent tokens under the local provider', () => {
  let t: TestApp;
  let dataUri: string;

  beforeAll(async () => {
    t = await startTestApp({
      ALPHASWARM_AUTH_AGENT_TOKEN_EXCHANGE_ENABLED: 'true',
      ALPHASWARM_AUTH_LOCAL_CLIENTS: CLIENTS,
    });
    dataUri = t.config.mcp.dataCanonicalUri as string;
  });
  afterAll(() => t.close());

  const login = async (body: Record<string, unknown> = {}) => {
    const res = await t
      .http()
      .post('/auth/local/login')
      .send({ sub: 'auth0|alice', org_id: ORG, ...body });
    expect(res.status).toBe(200);
    return res.body.access_token as string;
  };
  const agentToken = (token: string, body: Record<string, unknown>) =>
    t.http().post('/auth/agent-token').set('Authorization', `Bearer ${token}`).send(body);

  it('keeps the human as sub, names the agent in act, narrows scopes and addresses the MCP resource', async () => {
    const user = await login({ permissions: ['read:mcp:data', 'read:mcp:codebase', 'admin:tenant'] });
    const res = await agentToken(user, {
      agent: 'research_lead',
      resource: dataUri,
      scope: 'read:mcp:data write:mcp:data admin:tenant',
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      token_type: 'Bearer',
      scope: 'read:mcp:data',
      issued_token_type: ACCESS_TOKEN,
    });
    const claims = decodeJwt(res.body.access_token);
    expect(claims).toMatchObject({
      sub: 'auth0|alice',
      aud: dataUri,
      act: { sub: 'agent|research_lead', iss: t.config.auth.issuer },
      scope: 'read:mcp:data',
      [`${CLAIMS}org_id`]: ORG,
    });
    expect((claims.exp as number) - (claims.iat as number)).toBe(300);
  });

  it('never outlives the token it was exchanged from', async () => {
    const user = await login({ permissions: ['read:mcp:data'], expires_in: 60 });
    const res = await agentToken(user, { agent: 'a', resource: dataUri });
    expect(res.status).toBe(200);
    expect(res.body.expires_in).toBeLessThanOrEqual(60);
  });

  it('refuses scope escalation that leaves nothing to delegate (invalid_scope)', async () => {
    const user = await login({ permissions: ['read:mcp:data'] });
    const res = await agentToken(user, {
      agent: 'a',
      resource: dataUri,
      scope: 'write:mcp:data admin:tenant',
    });
    expect([res.status, res.body.reason]).toEqual([400, 'invalid_scope']);
  });

  it('refuses a resource that is not an MCP server of this service (invalid_target)', async () => {
    const user = await login({ permissions: ['read:mcp:data'] });
    const res = await agentToken(user, { agent: 'a', resource: 'https://evil.example/mcp' });
    expect([res.status, res.body.reason]).toEqual([400, 'invalid_target']);
    expect(JSON.stringify(res.body)).not.toContain('evil.example');
  });

  it.each([['has space'], ['agent|agent|x'], ['_x'], ['x'.repeat(129)]])(
    'refuses the agent name %p',
    async (agent) => {
      const user = await login({ permissions: ['read:mcp:data'] });
      const res = await agentToken(user, { agent, resource: dataUri });
      expect([res.status, res.body.reason]).toEqual([400, 'invalid_request']);
    },
  );

  it('refuses M2M tokens (user_token_required) and agent tokens (agent_not_allowed)', async () => {
    const m2m = await t.http().post('/oauth/token').type('form').send({
      grant_type: 'client_credentials',
      client_id: 'ci-runner',
      client_secret: 'ci-runner-secret-0123456789',
    });
    expect(m2m.status).toBe(200);
    const byM2m = await agentToken(m2m.body.access_token, { agent: 'a', resource: dataUri });
    expect([byM2m.status, byM2m.body.reason]).toEqual([403, 'user_token_required']);

    const user = await login({ permissions: ['read:mcp:data'] });
    const delegated = (await agentToken(user, { agent: 'a', resource: dataUri })).body.access_token as string;
    const byAgent = await agentToken(delegated, { agent: 'b', resource: dataUri });
    expect([byAgent.status, byAgent.body.reason]).toEqual([403, 'agent_not_allowed']);
  });

  it('is refused outside the MCP routes (agent_not_allowed)', async () => {
    const user = await login({ permissions: ['read:mcp:data'] });
    const delegated = (await agentToken(user, { agent: 'a', resource: dataUri })).body.access_token as string;
    const res = await t.http().get('/auth/whoami').set('Authorization', `Bearer ${delegated}`);
    expect([res.status, res.body.reason]).toEqual([403, 'agent_not_allowed']);
  });

  describe('the RFC 8693 grant of POST /oauth/token', () => {
    const exchange = (form: Record<string, string>) =>
      t
        .http()
        .post('/oauth/token')
        .type('form')
        .send({ grant_type: EXCHANGE, ...form });

    it('applies the same rules as /auth/agent-token', async () => {
      const user = await login({ permissions: ['read:mcp:data', 'write:mcp:data'] });
      const res = await exchange({
        subject_token: user,
        subject_token_type: ACCESS_TOKEN,
        actor_token: 'agent|indexer',
        actor_token_type: AGENT,
        resource: dataUri,
        scope: 'write:mcp:data read:mcp:codebase',
      });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ scope: 'write:mcp:data', issued_token_type: ACCESS_TOKEN });
      expect(decodeJwt(res.body.access_token)).toMatchObject({
        sub: 'auth0|alice',
        aud: dataUri,
        act: { sub: 'agent|indexer' },
      });
    });

    it('is advertised by discovery', async () => {
      const discovery = await t.http().get('/.well-known/openid-configuration');
      expect(discovery.body.grant_types_supported).toEqual(['client_credentials', EXCHANGE]);
    });

    it('answers RFC 8693 §2.2.2 errors', async () => {
      const user = await login({ permissions: ['read:mcp:data'] });
      const good = {
        subject_token: user,
        subject_token_type: ACCESS_TOKEN,
        actor_token: 'agent|indexer',
        actor_token_type: AGENT,
        resource: dataUri,
      };
      const forged = `${user.slice(0, user.lastIndexOf('.'))}.${'A'.repeat(342)}`;
      const cases: [Record<string, string>, number, string][] = [
        [{ ...good, subject_token: '' }, 400, 'invalid_grant'],
        [{ ...good, subject_token: forged }, 400, 'invalid_grant'],
        [
          { ...good, subject_token_type: 'urn:ietf:params:oauth:token-type:id_token' },
          400,
          'invalid_request',
        ],
        [{ ...good, actor_token: 'user|mallory' }, 400, 'invalid_request'],
        [{ ...good, actor_token_type: ACCESS_TOKEN }, 400, 'invalid_request'],
        [{ ...good, resource: 'https://evil.example/' }, 400, 'invalid_target'],
        [{ ...good, audience: `${dataUri}x` }, 400, 'invalid_target'],
        [{ ...good, scope: 'admin:tenant' }, 400, 'invalid_scope'],
        [
          { ...good, client_id: 'ci-runner', client_secret: 'wrong-secret-0123456789' },
          401,
          'invalid_client',
        ],
      ];
      for (const [form, status, error] of cases) {
        const res = await exchange(form);
        expect([res.status, res.body.error, res.body.reason]).toEqual([status, error, error]);
      }
    });

    it('exchanges a delegated token again only for its own agent', async () => {
      const user = await login({ permissions: ['read:mcp:data'] });
      const delegated = (await agentToken(user, { agent: 'indexer', resource: dataUri })).body.access_token;
      const base = { subject_token: delegated, subject_token_type: ACCESS_TOKEN, actor_token_type: AGENT };
      const other = await exchange({ ...base, actor_token: 'agent|other', resource: dataUri });
      expect([other.status, other.body.error]).toEqual([400, 'invalid_grant']);
      const same = await exchange({ ...base, actor_token: 'agent|indexer', resource: dataUri });
      expect(same.status).toBe(200);
      expect(decodeJwt(same.body.access_token).act).toEqual({
        sub: 'agent|indexer',
        iss: t.config.auth.issuer,
      });
    });
  });
});

describe('delegated agent tokens with the exchange disabled', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('answers 404 on /auth/agent-token, refuses the grant, and says so at /auth/config', async () => {
    const user = (
      await t
        .http()
        .post('/auth/local/login')
        .send({ permissions: ['read:mcp:data'] })
    ).body.access_token as string;
    const res = await t
      .http()
      .post('/auth/agent-token')
      .set('Authorization', `Bearer ${user}`)
      .send({ agent: 'a', resource: t.config.mcp.dataCanonicalUri });
    expect([res.status, res.body.reason]).toEqual([404, 'not_found']);
    const grant = await t.http().post('/oauth/token').type('form').send({
      grant_type: EXCHANGE,
      subject_token: user,
      subject_token_type: ACCESS_TOKEN,
      actor_token: 'agent|a',
      actor_token_type: AGENT,
    });
    expect([grant.status, grant.body.error]).toEqual([400, 'unsupported_grant_type']);
    const config = await t.http().get('/auth/config');
    expect(config.body.agent_token_exchange).toEqual({ enabled: false, delegation_ttl_seconds: 300 });
  });
});

describe('delegated agent tokens under auth0 (the broker and a Custom Token Exchange profile)', () => {
  const BROKER = { id: 'alphaswarm-agent-broker', secret: 'broker-secret-0123456789' };
  const DATA = 'https://api.test.alphaswarm/mcp/data';
  let issuer: TestIssuer;
  let idp: TokenExchangeIdp;
  let t: TestApp;

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    idp = await TokenExchangeIdp.start(issuer, BROKER);
    t = await startTestApp({
      ...issuer.env('auth0'),
      ALPHASWARM_AUTH_AGENT_TOKEN_EXCHANGE_ENABLED: 'true',
      ALPHASWARM_AUTH_AGENT_BROKER_CLIENT_ID: BROKER.id,
      ALPHASWARM_AUTH_AGENT_BROKER_CLIENT_SECRET: BROKER.secret,
      ALPHASWARM_AUTH_AGENT_BROKER_TOKEN_ENDPOINT: idp.tokenEndpoint,
      ALPHASWARM_MCP_DATA_CANONICAL_URI: DATA,
    });
  });
  afterAll(async () => {
    await t.close();
    await idp.stop();
    await issuer.stop();
  });
  beforeEach(() => {
    idp.behaviour = 'profile';
  });

  const ask = async (body: Record<string, unknown> = {}) => {
    const user = await issuer.token({ permissions: ['read:mcp:data'], org_id: 'org_abc' });
    return t
      .http()
      .post('/auth/agent-token')
      .set('Authorization', `Bearer ${user}`)
      .send({ agent: 'research_lead', resource: DATA, scope: 'read:mcp:data write:mcp:data', ...body });
  };

  it('exchanges the user token at the IdP as the broker client and checks what comes back', async () => {
    const res = await ask();
    expect(res.status).toBe(200);
    expect(res.body.scope).toBe('read:mcp:data');
    expect(decodeJwt(res.body.access_token)).toMatchObject({
      sub: 'auth0|alice',
      aud: DATA,
      act: { sub: 'agent|research_lead' },
    });
    const sent = idp.received.at(-1) as URLSearchParams;
    expect(Object.fromEntries(sent)).toMatchObject({
      grant_type: EXCHANGE,
      client_id: BROKER.id,
      subject_token_type: ACCESS_TOKEN,
      subject_token_profile: 'alphaswarm-agent-delegation',
      actor_token: 'agent|research_lead',
      actor_token_type: AGENT,
      agent: 'agent|research_lead',
      audience: DATA,
      resource: DATA,
      // The broker asks only for what the user holds: write:mcp:data never leaves the service.
      scope: 'read:mcp:data',
    });
  });

  it.each([
    ['profile_not_found', 502, 'upstream_error', 'profile not found'],
    ['unauthorized_client', 502, 'upstream_error', 'secret-client-x9'],
    ['server_error', 502, 'upstream_error', 'secret-tenant-x9'],
    ['wider_than_asked', 502, 'upstream_error', 'admin:tenant'],
    ['invalid_target', 400, 'invalid_target', 'scope rejected'],
  ] as const)(
    'turns the IdP answering %s into %i %s without its body',
    async (behaviour, status, reason, leak) => {
      idp.behaviour = behaviour;
      const res = await ask();
      expect([res.status, res.body.reason]).toEqual([status, reason]);
      expect(JSON.stringify(res.body)).not.toContain(leak);
    },
  );

  it('answers 502 when the IdP cannot be reached', async () => {
    await idp.stop();
    try {
      const res = await ask();
      expect([res.status, res.body.reason]).toEqual([502, 'upstream_error']);
    } finally {
      idp = await TokenExchangeIdp.start(issuer, BROKER);
    }
  });
});

/**
 * The broker's client secret from the encrypted store (CredentialResolver), as production reads it: no
 * secret in the environment, seeded with `npm run credentials:set-service-secret`, read on every
 * exchange so a rotation needs no restart.
 */
describe("the agent broker's client secret from the encrypted store", () => {
  const DATA = 'https://api.test.alphaswarm/mcp/data';
  const keks = kek('k1');
  let issuer: TestIssuer;
  let idp: TokenExchangeIdp;
  let db: Client;
  let env: Record<string, string>;

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    idp = await TokenExchangeIdp.start(issuer, {
      id: 'alphaswarm-agent-broker',
      secret: 'unused-until-seeded',
    });
    db = await superuser();
    env = {
      ...issuer.env('auth0'),
      ALPHASWARM_AUTH_AGENT_TOKEN_EXCHANGE_ENABLED: 'true',
      ALPHASWARM_AUTH_AGENT_BROKER_CLIENT_ID: 'alphaswarm-agent-broker',
      ALPHASWARM_AUTH_AGENT_BROKER_TOKEN_ENDPOINT: idp.tokenEndpoint,
      ALPHASWARM_MCP_DATA_CANONICAL_URI: DATA,
      ALPHASWARM_CREDENTIALS_KEKS: keks,
    };
  });
  afterAll(async () => {
    await db.end();
    await idp.stop();
    await issuer.stop();
  });

  const ask = async (t: TestApp) => {
    const user = await issuer.token({ permissions: ['read:mcp:data'] });
    return t
      .http()
      .post('/auth/agent-token')
      .set('Authorization', `Bearer ${user}`)
      .send({ agent: 'research_lead', resource: DATA, scope: 'read:mcp:data' });
  };
  const seed = async (value: string) => {
    const seeded = await seedServiceSecret('agent_broker_client_secret', value, keks);
    expect(seeded.status).toBe(0);
  };

  it('refuses to boot with the secret set nowhere, in one line naming the variable and the fix', async () => {
    await db
      .query(`DELETE FROM service_secrets WHERE name = 'agent_broker_client_secret'`)
      .catch(() => undefined);
    const result = await runToExit({
      ...env,
      NODE_ENV: 'test',
      ALPHASWARM_LOG_LEVEL: 'silent',
      DATABASE_URL: await workerDatabaseUrl(),
      REDIS_URL,
      PORT: String(await freePort()),
    });
    expect(result.code).toBe(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^alphaswarm-identity: configuration error: ALPHASWARM_AUTH_AGENT_BROKER_CLIENT_SECRET: required with ALPHASWARM_AUTH_AGENT_TOKEN_EXCHANGE_ENABLED=true.*credentials:set-service-secret -- --name agent_broker_client_secret/,
    );
    expect(result.stdout).not.toContain('listening on');
  });

  it('exchanges with the seeded secret, picks up a replaced one without a restart, and answers 503 once it is gone', async () => {
    const first = `first-${uniqueMarker()}`;
    await seed(first);
    idp.client = { ...idp.client, secret: first };
    const t = await startTestApp(env);
    try {
      const res = await ask(t);
      expect(res.status).toBe(200);
      expect(idp.received.at(-1)?.get('client_secret')).toBe(first);

      // The operator rotates the secret at the IdP and in the store; the running service follows.
      const second = `second-${uniqueMarker()}`;
      idp.client = { ...idp.client, secret: second };
      await seed(second);
      const rotated = await ask(t);
      expect(rotated.status).toBe(200);
      expect(idp.received.at(-1)?.get('client_secret')).toBe(second);

      // Gone from the store: nothing is sent to the IdP, the caller gets 503, no secret in any answer.
      await db.query(`DELETE FROM service_secrets WHERE name = 'agent_broker_client_secret'`);
      const sent = idp.received.length;
      const gone = await ask(t);
      expect([gone.status, gone.body.reason]).toEqual([503, 'service_unavailable']);
      expect(idp.received.length).toBe(sent);
      expect(JSON.stringify([res.body, rotated.body, gone.body])).not.toMatch(/first-LEAK|second-LEAK/);
    } finally {
      await t.close();
    }
  });
});
