import { Agent, request as httpRequest } from 'node:http';
import { startTestApp, type TestApp } from '../support/app';
import { newKey, TestIssuer } from '../support/issuer';
import { waitFor } from '../support/wait';

const CELL = 'cell-keep-alive';

interface Answer {
  status: number;
  reason?: string;
  sub?: string;
  /** The client side's port: the same for every answer means one connection carried them all. */
  port: number;
}

/**
 * The edge check over one kept-alive connection, as Envoy calls it: each connection remembers the last
 * token verified on it, and that memo must answer for that token only, and lapse when the issuer's key
 * set changes.
 */
describe('edge check on one kept-alive connection', () => {
  let issuer: TestIssuer;
  let t: TestApp;
  let agent: Agent;

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    t = await startTestApp({
      ALPHASWARM_TENANT_ROUTER_AUTH_MODE: 'required',
      ALPHASWARM_TENANT_ROUTER_OIDC_ISSUER: issuer.url,
      ALPHASWARM_TENANT_ROUTER_OIDC_AUDIENCE: issuer.audience,
      ALPHASWARM_TENANT_ROUTER_CBA_DESTINATION_CELL_ID: CELL,
    });
    await waitFor(async () => (await t.http().get('/readyz')).status === 200, {
      what: 'the edge ready',
      timeoutMs: 10_000,
    });
  });
  beforeEach(() => {
    agent = new Agent({ keepAlive: true, maxSockets: 1 });
  });
  afterEach(() => agent.destroy());
  afterAll(async () => {
    await t.close();
    await issuer.stop();
  });

  const json = (token: string): Promise<Answer> =>
    send('POST', '/ext_authz/v3/check', {
      'content-type': 'application/json',
      body: JSON.stringify({
        attributes: {
          request: { http: { method: 'GET', path: '/api', headers: { authorization: `Bearer ${token}` } } },
        },
      }),
    });
  const forwarded = (token: string): Promise<Answer> =>
    send('GET', '/ext_authz/http/api', { authorization: `Bearer ${token}` });

  function send(method: string, path: string, options: Record<string, string>): Promise<Answer> {
    const { body, ...headers } = options;
    return new Promise((resolve, reject) => {
      const req = httpRequest(new URL(path, t.url), { method, agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const parsed = text ? (JSON.parse(text) as { reason?: string }) : {};
          resolve({
            status: res.statusCode ?? 0,
            reason: parsed.reason ?? (res.headers['x-alphaswarm-auth'] as string | undefined),
            sub: res.headers['x-alphaswarm-sub'] as string | undefined,
            port: req.socket?.localPort ?? 0,
          });
        });
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  it.each([
    ['JSON form', json],
    ['HTTP mode', forwarded],
  ])('%s: two callers taking turns are each answered as themselves', async (_form, check) => {
    const alice = await issuer.token({ sub: 'auth0|alice' });
    const bob = await issuer.token({ sub: 'auth0|bob' });
    const answers: Answer[] = [];
    for (const token of [alice, bob, bob, alice, bob, alice, alice]) answers.push(await check(token));
    expect(new Set(answers.map((answer) => answer.port)).size).toBe(1);
    expect(answers.map(({ status, sub }) => [status, sub])).toEqual(
      ['alice', 'bob', 'bob', 'alice', 'bob', 'alice', 'alice'].map((name) => [200, `auth0|${name}`]),
    );
  });

  it.each([
    ['JSON form', json],
    ['HTTP mode', forwarded],
  ])('%s: a token it just allowed there is refused once its key leaves the key set', async (_form, check) => {
    const key = await issuer.addKey();
    const token = await issuer.token({}, { key });
    const allowed = await check(token);
    expect([allowed.status, allowed.reason]).toEqual([200, 'verified']);
    expect((await check(token)).status).toBe(200);

    issuer.removeKey(key.kid);
    // The next refresh of the key set: here brought on by a token naming a kid never seen.
    expect((await check(await issuer.token({}, { key: await newKey() }))).status).toBe(401);
    const refused = await check(token);
    expect([refused.status, refused.reason]).toEqual([401, 'no_matching_key']);
    expect(refused.port).toBe(allowed.port);
  });
});
