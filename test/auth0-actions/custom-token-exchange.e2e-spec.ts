import type { CustomTokenExchangeAPI, CustomTokenExchangeEvent } from '../../auth0/actions/actions';
import { EmulatedApi, loadAction } from '../support/actions-runtime';
import { newKey, TestIssuer } from '../support/issuer';

type Exchange = {
  onExecuteCustomTokenExchange(event: CustomTokenExchangeEvent, api: CustomTokenExchangeAPI): Promise<void>;
};
const BROKER = 'alphaswarm-agent-broker';
const NS = 'https://alphaswarm.internal/';
const MCP_DATA = 'https://api.test/mcp/data';

/**
 * auth0/actions/custom-token-exchange.js in the emulated runtime, verifying subject tokens against a
 * loopback issuer's JWKS. The delegated token it shapes is exercised end to end by the MCP work.
 */
describe('the Custom Token Exchange Action', () => {
  let issuer: TestIssuer;

  beforeAll(async () => {
    issuer = await TestIssuer.start();
  });
  afterAll(async () => {
    await issuer.stop();
  });

  const event = (
    subjectToken: string,
    overrides: Partial<CustomTokenExchangeEvent> = {},
  ): CustomTokenExchangeEvent => ({
    secrets: {
      ALPHASWARM_ISSUER: issuer.url,
      ALPHASWARM_API_AUDIENCE: issuer.audience,
      ALPHASWARM_AGENT_BROKER_CLIENT_ID: BROKER,
    },
    client: { client_id: BROKER, name: 'alphaswarm-agent-broker' },
    request: { ip: '10.0.0.1', body: { agent: 'agent|research_lead' } },
    transaction: {
      subject_token: subjectToken,
      subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      requested_scopes: ['read:mcp:data', 'write:mcp:codebase', 'admin:cluster'],
    },
    tenant: { id: 'alphaswarm-test' },
    ...overrides,
  });
  const run = async (e: CustomTokenExchangeEvent) => {
    const api = new EmulatedApi();
    await loadAction<Exchange>('custom-token-exchange.js').exports.onExecuteCustomTokenExchange(e, api);
    return api;
  };
  const userToken = (claims: Record<string, unknown> = {}) =>
    issuer.token({
      sub: 'auth0|alice',
      permissions: ['read:mcp:data', 'read:portfolio'],
      [`${NS}org_id`]: 'o-1',
      ...claims,
    });

  it('binds the token to the human, names the agent in act, and narrows scopes to what the user holds', async () => {
    const api = await run(event(await userToken()));
    expect(api.userId).toBe('auth0|alice');
    expect(api.scopes).toEqual(['read:mcp:data']);
    expect(api.accessTokenClaims).toEqual({
      act: { sub: 'agent|research_lead', iss: issuer.url },
      [`${NS}org_id`]: 'o-1',
    });
    expect([api.denied, api.rejectedSubjectToken]).toEqual([null, null]);
  });

  it.each([
    ['a forged signature', async () => userToken().then((token) => token.slice(0, -4) + 'AAAA')],
    ['another key', async () => issuer.token({ sub: 'auth0|alice' }, { key: await newKey() })],
    ['another audience', async () => userToken({ aud: 'https://elsewhere/' })],
    ['an expired token', async () => userToken({ exp: Math.floor(Date.now() / 1000) - 60 })],
    ['a token delegated to another agent', async () => userToken({ act: { sub: 'agent|other' } })],
    ['a token with an act that names no agent', async () => userToken({ act: 'agent|research_lead' })],
    [
      'a token for an MCP server not configured',
      async () => userToken({ aud: 'https://api.test/mcp/other' }),
    ],
    ['a machine token', async () => userToken({ sub: 'svc@clients' })],
  ])('rejects %s as the subject token and mints nothing', async (_what, make) => {
    const api = await run(event(await make()));
    expect(api.rejectedSubjectToken).toEqual(expect.any(String));
    expect([api.userId, api.scopes, api.accessTokenClaims]).toEqual([null, [], {}]);
  });

  it('exchanges a delegated token again for its own agent, addressed to a configured MCP server', async () => {
    // An MCP tool asking a token for its upstream presents the token it was called with.
    const delegated = await userToken({
      aud: MCP_DATA,
      act: { sub: 'agent|research_lead', iss: issuer.url },
    });
    const withResources = event(delegated);
    const api = await run({
      ...withResources,
      secrets: {
        ...withResources.secrets,
        ALPHASWARM_MCP_RESOURCES: `${MCP_DATA}, https://api.test/mcp/codebase`,
      },
    });
    expect([api.denied, api.rejectedSubjectToken]).toEqual([null, null]);
    expect(api.userId).toBe('auth0|alice');
    expect(api.accessTokenClaims).toMatchObject({ act: { sub: 'agent|research_lead', iss: issuer.url } });
    // Without the MCP servers configured, a token addressed to one is not a token of this API.
    expect((await run(event(delegated))).rejectedSubjectToken).toEqual(expect.any(String));
  });

  it("accepts the service's agent names: up to 128 characters, with _ . : -", async () => {
    const token = await userToken();
    for (const agent of ['agent|crew:planner-2.v1', `agent|a${'b'.repeat(127)}`]) {
      const api = await run(event(token, { request: { ip: '10.0.0.1', body: { agent } } }));
      expect([api.denied, api.accessTokenClaims.act]).toEqual([null, { sub: agent, iss: issuer.url }]);
    }
    for (const agent of [`agent|a${'b'.repeat(128)}`, 'agent|-leading', 'agent|has space', 'agent|']) {
      const api = await run(event(token, { request: { ip: '10.0.0.1', body: { agent } } }));
      expect(api.denied?.[0]).toBe('invalid_request');
    }
  });

  it('refuses any client but the broker, and an agent name that is not agent|<name>', async () => {
    const token = await userToken();
    const stranger = await run(event(token, { client: { client_id: 'spa', name: 'spa' } }));
    expect(stranger.denied?.[0]).toBe('unauthorized_client');
    const unnamed = await run(event(token, { request: { ip: '10.0.0.1', body: { agent: 'auth0|bob' } } }));
    expect(unnamed.denied?.[0]).toBe('invalid_request');
    expect([stranger.userId, unnamed.userId]).toEqual([null, null]);
  });
});
