import { connect } from 'node:net';
import { startTestApp, type TestApp } from '../support/app';
import { FixtureModule } from '../support/fixture.module';
import { TestIssuer } from '../support/issuer';

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: Record<string, unknown>;
  text: string;
}

/**
 * Sends one request as raw bytes: supertest (and Node's client) cannot send two `Authorization`
 * headers, which is exactly what these tests need.
 */
function rawRequest(port: number, lines: string[], body = ''): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const head = [
      ...lines,
      'Host: 127.0.0.1',
      'Connection: close',
      `Content-Length: ${Buffer.byteLength(body)}`,
    ];
    const socket = connect({ host: '127.0.0.1', port }, () =>
      socket.write(`${head.join('\r\n')}\r\n\r\n${body}`),
    );
    let text = '';
    socket.on('data', (chunk) => (text += chunk.toString()));
    socket.on('end', () => {
      const [headText, bodyText] = [
        text.slice(0, text.indexOf('\r\n\r\n')),
        text.slice(text.indexOf('\r\n\r\n') + 4),
      ];
      const [statusLine, ...headerLines] = headText.split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of headerLines) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
      }
      resolve({
        status: Number(statusLine.split(' ')[1]),
        headers,
        body: JSON.parse(bodyText || '{}'),
        text: bodyText,
      });
    });
    socket.on('error', reject);
    socket.setTimeout(5000, () => socket.destroy(new Error('timeout')));
  });
}

const PORTFOLIO = { permissions: ['read:portfolio', 'write:portfolio'] };

function expectAmbiguous(
  res: RawResponse | { status: number; headers: Record<string, string>; body: Record<string, unknown> },
) {
  expect([res.status, res.body.error, res.body.reason]).toEqual([400, 'invalid_request', 'malformed_token']);
  expect(res.headers['www-authenticate']).toMatch(
    /^Bearer error="invalid_request", error_description="[^"]+"$/,
  );
  expect(typeof res.body.request_id).toBe('string');
}

describe.each(['strict', 'permissive'] as const)('credentials presented under %s enforcement', (mode) => {
  let issuer: TestIssuer;
  let t: TestApp;
  let alice: string;
  let bob: string;

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    t = await startTestApp({ ...issuer.env(), ALPHASWARM_AUTH_ENFORCE: mode }, [FixtureModule]);
    alice = await issuer.token({ ...PORTFOLIO, sub: 'auth0|alice' });
    bob = await issuer.token({ ...PORTFOLIO, sub: 'auth0|bob' });
  });
  afterAll(async () => {
    await t.close();
    await issuer.stop();
  });

  const get = (lines: string[]) =>
    rawRequest(t.config.http.port, ['GET /fixture/portfolio HTTP/1.1', ...lines]);

  it('refuses two Authorization headers in either order, whichever is valid, even once both are cached', async () => {
    for (const token of [alice, bob]) {
      const single = await get([`Authorization: Bearer ${token}`]);
      expect(single.status).toBe(200);
    }
    expectAmbiguous(await get([`Authorization: Bearer ${alice}`, `Authorization: Bearer ${bob}`]));
    expectAmbiguous(await get([`Authorization: Bearer ${bob}`, `Authorization: Bearer ${alice}`]));
    expectAmbiguous(await get([`Authorization: Bearer ${alice}`, `authorization: Bearer ${alice}`]));
    expectAmbiguous(await get([`Authorization: Bearer ${alice}`, 'Authorization: Bearer not.a.token']));
    expectAmbiguous(await get(['Authorization: Basic dXNlcjpwYXNz', `Authorization: Bearer ${alice}`]));
  });

  it('refuses a token in the header and in the query, or in the header and in a form body', async () => {
    const query = await t
      .http()
      .get(`/fixture/portfolio?access_token=${bob}`)
      .set('Authorization', `Bearer ${alice}`);
    expectAmbiguous(query);
    const form = await t
      .http()
      .post('/fixture/portfolio')
      .set('Authorization', `Bearer ${alice}`)
      .type('form')
      .send({ access_token: bob });
    expectAmbiguous(form);
  });

  it('never accepts a token in the query on its own, and never serves it anonymously', async () => {
    const res = await t.http().get(`/fixture/portfolio?access_token=${alice}`);
    expect([res.status, res.body.reason]).toEqual([401, 'missing_token']);
    expect(res.headers['www-authenticate']).toBe('Bearer');
  });

  it.each([
    ['Basic', 'Basic dXNlcjpwYXNz'],
    ['Token', 'Token abc.def.ghi'],
    ['a bare token without a scheme', '<token>'],
  ])(
    'answers credentials of another scheme (%s) as carrying no Bearer token, never as anonymous',
    async (_name, header) => {
      const res = await t
        .http()
        .get('/fixture/portfolio')
        .set('Authorization', header === '<token>' ? alice : header);
      expect([res.status, res.body.reason]).toEqual([401, 'missing_token']);
      // RFC 6750 §3.1: no error attribute when the request carries no Bearer credentials.
      expect(res.headers['www-authenticate']).toBe('Bearer');
    },
  );

  it('still serves one Bearer token, and a form body without a token beside it', async () => {
    expect((await t.http().get('/fixture/portfolio').set('Authorization', `Bearer ${alice}`)).status).toBe(
      200,
    );
    const form = await t
      .http()
      .post('/fixture/portfolio')
      .set('Authorization', `Bearer ${alice}`)
      .type('form')
      .send({ note: 'x' });
    expect(form.status).toBeLessThan(300);
  });
});

describe('errors raised by the router before Nest sees the request', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({}, [FixtureModule]);
  });
  afterAll(() => t.close());

  it.each([
    ['a path parameter over the length limit', `/fixture/items/${'x'.repeat(300)}`, 414],
    ['a bad percent-escape', '/fixture/items/%zz', 400],
    ['a truncated UTF-8 escape', '/fixture/items/%E0%A4%A', 400],
  ])('answers %s in the service shape, without echoing the path', async (_name, path, status) => {
    const res = await t.http().get(path);
    expect(res.status).toBe(status);
    expect(res.body).toEqual({
      error: 'invalid_request',
      error_description: expect.any(String),
      reason: 'invalid_request',
      request_id: res.headers['x-request-id'],
    });
    expect(res.text).not.toContain('fixture');
    expect(res.text).not.toContain('FST_');
  });
});
