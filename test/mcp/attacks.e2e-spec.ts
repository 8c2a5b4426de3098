import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { decodeJwt } from 'jose';
import { startTestApp, type TestApp } from '../support/app';
import { TestIssuer } from '../support/issuer';
import { MCP_HEADERS, toolCall } from './support';

const DATA = 'https://api.test.alphaswarm/mcp/data';
const CODEBASE = 'https://api.test.alphaswarm/mcp/codebase';
/** The test issuer's API audience (TestIssuer.audience). */
const API = 'https://api.test.alphaswarm/';
const METADATA = 'https://api.test.alphaswarm/.well-known/oauth-protected-resource/mcp/data';

/**
 * Tokens no honest broker would mint, signed by the IdP itself (so only the claims are wrong), against
 * the MCP servers under auth0 with strict RFC 8707, then the same service under `off`.
 */
describe('MCP attack cases (tokens signed by the IdP)', () => {
  let issuer: TestIssuer;
  let strict: TestApp;
  let off: TestApp;

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    const env = {
      ...issuer.env('auth0'),
      ALPHASWARM_MCP_DATA_CANONICAL_URI: DATA,
      ALPHASWARM_MCP_CODEBASE_CANONICAL_URI: CODEBASE,
    };
    [strict, off] = await Promise.all([
      startTestApp({ ...env, ALPHASWARM_MCP_REQUIRE_RFC8707: 'strict' }),
      startTestApp({ ...env, ALPHASWARM_MCP_REQUIRE_RFC8707: 'off' }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([strict.close(), off.close()]);
    await issuer.stop();
  });

  const agent = (overrides: Record<string, unknown> = {}) =>
    issuer.token({ aud: DATA, scope: 'read:mcp:data', act: { sub: 'agent|research_lead' }, ...overrides });
  const call = (t: TestApp, token: string) =>
    t
      .http()
      .post('/mcp/data')
      .set(MCP_HEADERS)
      .set('Authorization', `Bearer ${token}`)
      .send(toolCall('identity.whoami'));
  const refusal = (res: { status: number; body: { reason?: string }; headers: IncomingHttpHeaders }) => [
    res.status,
    res.body.reason,
    res.headers['www-authenticate']?.includes(`resource_metadata="${METADATA}"`),
  ];

  it('serves a well-formed delegated token', async () => {
    const res = await call(strict, await agent());
    expect(res.status).toBe(200);
    expect(res.body.result.structuredContent).toMatchObject({
      agent: 'agent|research_lead',
      on_behalf_of_sub: 'auth0|alice',
    });
  });

  it.each([
    ['an expired token', { exp: Math.floor(Date.now() / 1000) - 3600 }, 401, 'expired_token'],
    ['an act naming a user', { act: { sub: 'auth0|mallory' } }, 401, 'invalid_actor'],
    ['an act that is a string', { act: 'agent|research_lead' }, 401, 'invalid_actor'],
    ['an act without sub', { act: { iss: 'x' } }, 401, 'invalid_actor'],
    ['an agent name with a space', { act: { sub: 'agent|bad name' } }, 401, 'invalid_actor'],
    ['an audience of another resource', { aud: 'https://evil.example/mcp' }, 401, 'wrong_audience'],
    ['the codebase audience on data', { aud: CODEBASE }, 401, 'wrong_audience'],
    ['the API audience under strict', { aud: API }, 401, 'wrong_audience'],
    ['no read:mcp:data', { scope: 'read:mcp:codebase' }, 403, 'insufficient_scope'],
    ['no act at all (an ordinary user token)', { act: undefined, aud: API }, 403, 'delegation_required'],
  ])('refuses %s', async (_name, overrides, status, reason) => {
    const res = await call(strict, await agent(overrides));
    // Every 401 and the scope 403 say where to get a token (RFC 9728); a user token is simply not one.
    expect(refusal(res)).toEqual([status, reason, reason === 'delegation_required' ? undefined : true]);
    expect(JSON.stringify(res.body)).not.toContain('mallory');
  });

  it('accepts the API audience under off, and still refuses another resource', async () => {
    expect((await call(off, await agent({ aud: API }))).status).toBe(200);
    expect(refusal(await call(off, await agent({ aud: CODEBASE })))).toEqual([401, 'wrong_audience', true]);
  });

  it('keeps a nested act chain on the principal but decides on the top-level actor', async () => {
    const nested = await agent({ act: { sub: 'agent|planner', act: { sub: 'agent|research_lead' } } });
    const res = await call(strict, nested);
    expect(res.status).toBe(200);
    expect(res.body.result.structuredContent).toMatchObject({
      agent: 'agent|planner',
      delegation_chain: ['agent|planner', 'agent|research_lead'],
    });
    const userAtTop = await agent({ act: { sub: 'auth0|mallory', act: { sub: 'agent|research_lead' } } });
    expect(refusal(await call(strict, userAtTop))).toEqual([401, 'invalid_actor', true]);
  });
});

/** A loopback upstream API that records the Authorization header of every request. */
async function upstreamServer(): Promise<{ url: string; seen: string[]; close(): Promise<void> }> {
  const seen: string[] = [];
  const server: Server = createServer((request, response) => {
    seen.push(request.headers.authorization ?? '');
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ portfolio: 'ok' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/status`,
    seen,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('no token passthrough (local provider, a loopback upstream)', () => {
  const UPSTREAM_AUDIENCE = 'https://portfolio.internal.test/';
  let t: TestApp;
  let upstream: Awaited<ReturnType<typeof upstreamServer>>;

  beforeAll(async () => {
    upstream = await upstreamServer();
    t = await startTestApp({
      ALPHASWARM_AUTH_AGENT_TOKEN_EXCHANGE_ENABLED: 'true',
      ALPHASWARM_MCP_REQUIRE_RFC8707: 'strict',
      ALPHASWARM_MCP_UPSTREAM_URL: upstream.url,
      ALPHASWARM_MCP_UPSTREAM_AUDIENCE: UPSTREAM_AUDIENCE,
    });
  });
  afterAll(async () => {
    await t.close();
    await upstream.close();
  });

  it('calls the upstream with a token of its own: human as subject, agent as actor, the upstream audience', async () => {
    const login = await t
      .http()
      .post('/auth/local/login')
      .send({ sub: 'auth0|alice', permissions: ['read:mcp:data'] });
    const delegated = await t
      .http()
      .post('/auth/agent-token')
      .set('Authorization', `Bearer ${login.body.access_token}`)
      .send({ agent: 'research_lead', resource: t.config.mcp.dataCanonicalUri });
    const inbound = delegated.body.access_token as string;

    const res = await t
      .http()
      .post('/mcp/data/tools/upstream.get_status/invoke')
      .set('Authorization', `Bearer ${inbound}`)
      .send({});
    expect(res.status).toBe(200);
    expect(res.body.result).toEqual({ status: 200, body: { portfolio: 'ok' } });

    expect(upstream.seen).toHaveLength(1);
    const sent = upstream.seen[0].replace(/^Bearer /, '');
    expect(sent).not.toBe(inbound);
    expect(upstream.seen[0]).not.toContain(inbound);
    expect(decodeJwt(sent)).toMatchObject({
      sub: 'auth0|alice',
      aud: UPSTREAM_AUDIENCE,
      act: { sub: 'agent|research_lead' },
      scope: 'read:mcp:data',
    });
  });

  it('refuses the upstream audience everywhere in this service: that token is only the upstream’s', async () => {
    const login = await t
      .http()
      .post('/auth/local/login')
      .send({ sub: 'auth0|alice', permissions: ['read:mcp:data'] });
    const forUpstream = await t
      .http()
      .post('/auth/agent-token')
      .set('Authorization', `Bearer ${login.body.access_token}`)
      .send({ agent: 'research_lead', resource: UPSTREAM_AUDIENCE });
    expect(forUpstream.status).toBe(200);
    const res = await t
      .http()
      .post('/mcp/data/tools/identity.whoami/invoke')
      .set('Authorization', `Bearer ${forUpstream.body.access_token}`)
      .send({});
    expect([res.status, res.body.reason]).toEqual([401, 'wrong_audience']);
  });
});
