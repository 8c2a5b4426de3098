import { connect } from 'node:net';
import { REASON_CODES } from '../../src/identity/errors/reason-codes';
import { startTestApp, type TestApp } from '../support/app';
import { FixtureModule } from '../support/fixture.module';

/** Sends raw bytes and returns the raw response (for requests supertest refuses to build). */
function rawRequest(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => socket.write(text));
    let response = '';
    socket.on('data', (chunk) => (response += chunk.toString()));
    socket.on('end', () => resolve(response));
    socket.on('error', reject);
    socket.setTimeout(5000, () => socket.destroy(new Error('timeout')));
  });
}

describe('bad input', () => {
  let t: TestApp;
  let validToken: string;

  beforeAll(async () => {
    t = await startTestApp({}, [FixtureModule]);
    validToken = (
      await t
        .http()
        .post('/auth/local/login')
        .send({ permissions: ['read:portfolio'] })
    ).body.access_token;
  });
  afterAll(() => t.close());

  function expectClientError(
    res: { status: number; body: Record<string, unknown>; text: string },
    reason: string,
  ) {
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.body.reason).toBe(reason);
    expect(REASON_CODES).toContain(res.body.reason);
    expect(typeof res.body.request_id).toBe('string');
    expect(res.text).not.toMatch(/\bat \S+ \(|Error:|node_modules/);
  }

  const malformedHeaders: [string, string][] = [
    ['two tokens', 'Bearer aaa.bbb.ccc ddd.eee.fff'],
    ['empty Bearer', 'Bearer '],
    ['scheme only', 'Bearer'],
    ['non-JWT string', 'Bearer not-a-jwt'],
    ['two dots of nothing', 'Bearer ..'],
    ['binary garbage', 'Bearer %%%$$$'],
    ['a 7 KiB token', `Bearer ${'a'.repeat(7 * 1024)}.b.c`],
  ];

  it.each(malformedHeaders)('answers 401 malformed_token for %s', async (_name, header) => {
    const value = header === '<the valid token, bare>' ? validToken : header;
    const res = await t.http().get('/fixture/portfolio').set('Authorization', value);
    expectClientError(res, 'malformed_token');
    expect(res.status).toBe(401);
  });

  // RFC 6750 §3.1: credentials of another scheme carry no Bearer credentials (no `error` attribute).
  it.each([
    ['no scheme', '<the valid token, bare>'],
    ['Basic', 'Basic dXNlcjpwYXNz'],
  ])('answers 401 missing_token with a bare challenge for %s', async (_name, header) => {
    const value = header === '<the valid token, bare>' ? validToken : header;
    const res = await t.http().get('/fixture/portfolio').set('Authorization', value);
    expectClientError(res, 'missing_token');
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer');
  });

  it('answers 401 for truncated tokens, at any cut', async () => {
    for (const cut of [10, validToken.indexOf('.') + 1, validToken.lastIndexOf('.'), validToken.length - 5]) {
      const res = await t
        .http()
        .get('/fixture/portfolio')
        .set('Authorization', `Bearer ${validToken.slice(0, cut)}`);
      expect(res.status).toBe(401);
      expect(['malformed_token', 'invalid_signature']).toContain(res.body.reason);
    }
  });

  it('answers a 64 KiB Authorization header with a 4xx JSON body, not a dropped connection', async () => {
    const response = await rawRequest(
      t.config.http.port,
      `GET /fixture/portfolio HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${'a'.repeat(64 * 1024)}\r\n\r\n`,
    );
    expect(response).toMatch(/^HTTP\/1\.1 431 /);
    const body = JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4)) as Record<string, unknown>;
    expect(REASON_CODES).toContain(body.reason);
  });

  it('answers garbage on the wire with 400', async () => {
    const response = await rawRequest(t.config.http.port, 'NOT HTTP AT ALL\r\n\r\n');
    expect(response).toMatch(/^HTTP\/1\.1 400 /);
  });

  /** The status and JSON body of a raw response (which must have one). */
  function parsed(response: string): { status: number; body: Record<string, unknown> } {
    const [head, body] = response.split('\r\n\r\n');
    expect(head).toMatch(/content-type: application\/json/i);
    return { status: Number(head.split(' ')[1]), body: JSON.parse(body) as Record<string, unknown> };
  }

  it('answers an HTTP/1.1 request without a Host header with 400 in the service shape (RFC 9112 §3.2)', async () => {
    const port = t.config.http.port;
    const missing = parsed(await rawRequest(port, 'GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n'));
    expect(missing.status).toBe(400);
    expect(missing.body).toMatchObject({ error: 'invalid_request', reason: 'invalid_request' });
    expect(typeof missing.body.request_id).toBe('string');
    // Not even a valid token gets past it.
    const withToken = await rawRequest(
      port,
      `GET /fixture/portfolio HTTP/1.1\r\nAuthorization: Bearer ${validToken}\r\nConnection: close\r\n\r\n`,
    );
    expect(parsed(withToken).status).toBe(400);
    // HTTP/1.0 has no Host requirement, and an empty Host is what a client sends for a URI without authority.
    expect(await rawRequest(port, 'GET /healthz HTTP/1.0\r\n\r\n')).toMatch(/^HTTP\/1\.1 200 /);
    expect(await rawRequest(port, 'GET /healthz HTTP/1.1\r\nHost:\r\nConnection: close\r\n\r\n')).toMatch(
      /^HTTP\/1\.1 200 /,
    );
  });

  it('answers CONNECT with 400 in the service shape instead of dropping the connection', async () => {
    const response = await rawRequest(
      t.config.http.port,
      'CONNECT 127.0.0.1:443 HTTP/1.1\r\nHost: 127.0.0.1:443\r\n\r\n',
    );
    const { status, body } = parsed(response);
    expect(status).toBe(400);
    expect(body).toMatchObject({ error: 'invalid_request', reason: 'invalid_request' });
    expect(body.error_description).not.toContain('443');
  });

  it('answers a JSON body that does not parse with 400 malformed_body', async () => {
    for (const body of ['{bad', '{"a":', '']) {
      const res = await t.http().post('/auth/local/login').set('content-type', 'application/json').send(body);
      expectClientError(res, 'malformed_body');
      expect(res.status).toBe(400);
    }
  });

  it('answers a body over 1 MiB with 413 and an unknown content type with 415', async () => {
    const big = await t
      .http()
      .post('/auth/local/login')
      .set('content-type', 'application/json')
      .send(JSON.stringify({ sub: 'x'.repeat(1100 * 1024) }));
    expectClientError(big, 'payload_too_large');
    const csv = await t.http().post('/auth/local/login').set('content-type', 'text/csv').send('a,b');
    expectClientError(csv, 'unsupported_media_type');
  });

  it('answers unknown routes with 404 not_found', async () => {
    expectClientError(await t.http().get('/no/such/route'), 'not_found');
  });

  it('answers a method a served path does not take with 405 and the methods it does take', async () => {
    const token = `Bearer ${validToken}`;
    // GET and POST /fixture/portfolio exist; HEAD comes with GET.
    const put = await t.http().put('/fixture/portfolio').set('Authorization', token).send({});
    expectClientError(put, 'method_not_allowed');
    expect(put.status).toBe(405);
    expect(put.headers.allow).toBe('GET, HEAD, POST');
    expect(put.body.error).toBe('method_not_allowed');
    // A route with a parameter, and no credentials at all: the method is refused before any guard runs.
    const del = await t.http().delete('/fixture/items/42');
    expect(del.status).toBe(405);
    expect(del.headers.allow).toBe('GET, HEAD');
    expect(del.headers['www-authenticate']).toBeUndefined();
    const options = await t.http().options('/healthz');
    expect(options.status).toBe(405);
    expect(options.headers.allow).toBe('GET, HEAD');
    // The query string is not part of the path.
    expect((await t.http().patch('/healthz?x=1')).headers.allow).toBe('GET, HEAD');
  });

  it('keeps 404 for paths no method serves, even beside a served one', async () => {
    for (const path of ['/no/such/route', '/fixture/portfolio/extra', '/fixture/items', '/healthz/']) {
      const res = await t.http().delete(path);
      expectClientError(res, 'not_found');
      expect(res.status).toBe(404);
      expect(res.headers.allow).toBeUndefined();
    }
    // A parameter over the router's limit matches no route under any method.
    const long = await t.http().delete(`/fixture/items/${'a'.repeat(300)}`);
    expect(long.status).toBe(404);
    expect(long.headers.allow).toBeUndefined();
    expect(long.text).not.toContain('aaaa');
  });

  it('keeps serving after all of the above', async () => {
    const res = await t.http().get('/fixture/portfolio').set('Authorization', `Bearer ${validToken}`);
    expect(res.status).toBe(200);
    expect((await t.http().get('/healthz')).status).toBe(200);
  });
});
