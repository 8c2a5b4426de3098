import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { sample, startTestApp, type TestApp } from '../support/app';
import { workerDatabaseUrl } from '../support/db';
import { TestIssuer } from '../support/issuer';
import { POSTGRES, REDIS } from '../support/services';
import { TcpProxy } from '../support/tcp-proxy';
import { waitFor } from '../support/wait';
import { freshSubject, revocationLedgerRows, sharedQueueEnv, whoami } from './support';

const SECRET = '7d1e0c4b9a2f6e8d3c5b1a0f9e7d6c4b2a1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d';
const PATH = '/_internal/auth0/log-stream';
const nowSeconds = () => Math.floor(Date.now() / 1000);

interface EventShape {
  type?: string;
  user_id?: string | null;
  date?: string | null;
  log_id?: string;
  details?: unknown;
}

/** An event as Auth0's Custom Webhook sends it: `{ log_id, data: { … } }`. */
function auth0Event({ type = 's', user_id = freshSubject(), date, log_id, details }: EventShape = {}) {
  const id = log_id ?? `9002${randomUUID().replace(/-/g, '')}`;
  const data: Record<string, unknown> = { log_id: id, type, date: date ?? new Date().toISOString() };
  if (date === null) delete data.date;
  if (user_id !== null) data.user_id = user_id;
  if (details !== undefined) data.details = details;
  return { log_id: id, data };
}

describe('POST /_internal/auth0/log-stream', () => {
  let issuer: TestIssuer;
  let env: Record<string, string>;
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    env = { ...issuer.env(), ...sharedQueueEnv(), ALPHASWARM_AUTH0_LOG_STREAM_SECRET: SECRET };
    [a, b] = await Promise.all([startTestApp(env), startTestApp(env)]);
  });
  afterAll(async () => {
    await Promise.all([a.close(), b.close()]);
    await issuer.stop();
  });

  const post = (app: TestApp, body: string, contentType = 'application/json', secret = SECRET) =>
    app
      .http()
      .post(PATH)
      .set('Authorization', `Bearer ${secret}`)
      .set('Content-Type', contentType)
      .send(body);

  const storedRows = (app: TestApp, logIds: string[]) =>
    app.app.get(DataSource).query<
      {
        log_id: string;
        event_type: string;
        subject: string | null;
        revokes: boolean;
        processed_at: Date | null;
      }[]
    >(`SELECT log_id, event_type, subject, revokes, processed_at FROM auth0_log_events WHERE log_id = ANY($1)`, [logIds]);

  describe('the shared secret', () => {
    const batch = () => JSON.stringify([auth0Event()]);

    it('accepts the configured secret', async () => {
      const res = await post(a, batch());
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ received: 1, stored: 1 });
    });

    it.each([
      ['no Authorization header', undefined, 'missing_token'],
      ['a wrong secret of the same length', `Bearer ${'0'.repeat(SECRET.length)}`, 'invalid_webhook_secret'],
      ['a secret one character short', `Bearer ${SECRET.slice(1)}`, 'invalid_webhook_secret'],
      ['a much longer secret', `Bearer ${SECRET.repeat(40)}`, 'invalid_webhook_secret'],
      ['the secret under another scheme', `Basic ${SECRET}`, 'invalid_webhook_secret'],
      ['the secret without a scheme', SECRET, 'invalid_webhook_secret'],
      ['an empty bearer', 'Bearer ', 'invalid_webhook_secret'],
    ])('refuses %s with 401 and stores nothing', async (_name, authorization, reason) => {
      const event = auth0Event();
      let request = a.http().post(PATH).set('Content-Type', 'application/json');
      if (authorization !== undefined) request = request.set('Authorization', authorization);
      const res = await request.send(JSON.stringify([event]));
      expect([res.status, res.body.reason]).toEqual([401, reason]);
      expect(JSON.stringify(res.body)).not.toContain(SECRET.slice(0, 16));
      expect(await storedRows(a, [event.log_id])).toEqual([]);
    });

    it('refuses a valid access token: only the shared secret opens this route', async () => {
      const token = await issuer.token({ sub: 'client@clients', gty: 'client-credentials' });
      const res = await post(a, batch(), 'application/json', token);
      expect([res.status, res.body.reason]).toEqual([401, 'invalid_webhook_secret']);
    });

    it('refuses every call of an instance that has no secret configured', async () => {
      const bare = await startTestApp({ ...issuer.env(), ...sharedQueueEnv() });
      try {
        const res = await post(bare, batch());
        expect([res.status, res.body.reason]).toEqual([401, 'invalid_webhook_secret']);
      } finally {
        await bare.close();
      }
    });
  });

  describe('content formats', () => {
    it.each([
      ['a JSON array', (events: object[]) => JSON.stringify(events), 'application/json'],
      [
        'JSON lines (LF)',
        (events: object[]) => events.map((e) => JSON.stringify(e)).join('\n'),
        'application/json',
      ],
      [
        'JSON lines (CRLF, trailing newline)',
        (events: object[]) => `${events.map((e) => JSON.stringify(e)).join('\r\n')}\r\n`,
        'application/json',
      ],
      [
        'JSON lines as application/x-ndjson',
        (events: object[]) => events.map((e) => JSON.stringify(e)).join('\n'),
        'application/x-ndjson',
      ],
    ])('stores every event of %s', async (_name, format, contentType) => {
      const events = [auth0Event(), auth0Event(), auth0Event()];
      const res = await post(a, format(events), contentType);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ received: 3, stored: 3 });
      expect(
        await storedRows(
          a,
          events.map((e) => e.log_id),
        ),
      ).toHaveLength(3);
    });

    it('stores a single JSON object', async () => {
      const event = auth0Event({ type: 'fp' });
      const res = await post(a, JSON.stringify(event));
      expect(res.body).toMatchObject({ received: 1, stored: 1 });
      expect(await storedRows(a, [event.log_id])).toMatchObject([{ event_type: 'fp', revokes: false }]);
    });

    it('stores an event whose members are at the top level, log_id included', async () => {
      const event = auth0Event();
      const res = await post(a, JSON.stringify([{ ...event.data }]));
      expect(res.body).toMatchObject({ stored: 1 });
      expect(await storedRows(a, [event.log_id])).toHaveLength(1);
    });

    it.each([
      ['broken JSON', '[{"log_id": "x", '],
      ['a bare string', '"hello"'],
      ['a number', '42'],
      ['JSON lines with one broken line', `${JSON.stringify(auth0Event())}\n{not json}`],
      ['an empty body', ''],
    ])('answers 400 malformed_body to %s, storing nothing', async (_name, body) => {
      const res = await post(a, body);
      expect([res.status, res.body.reason]).toEqual([400, 'malformed_body']);
      expect(res.body.error_description).not.toContain('not json');
    });

    it('answers 415 to a form body', async () => {
      const res = await post(a, 'log_id=1&type=slo', 'application/x-www-form-urlencoded');
      expect([res.status, res.body.reason]).toEqual([415, 'unsupported_media_type']);
    });

    it('leaves every other route on its 1 MiB limit and JSON parser', async () => {
      const token = await issuer.token();
      const res = await a
        .http()
        .post('/tenancy/orgs')
        .set('Authorization', `Bearer ${token}`)
        .set('Content-Type', 'application/x-ndjson')
        .send('{"name":"x"}\n{"name":"y"}');
      expect(res.status).toBe(415);
    });
  });

  describe('what is dropped, skipped and deduplicated', () => {
    it('counts and skips junk elements of an array while storing the valid ones', async () => {
      const good = [auth0Event(), auth0Event()];
      const junk = [
        42,
        'text',
        null,
        [],
        { data: { type: 'slo' } },
        { log_id: 'x', data: { type: 'NOT A TYPE' } },
      ];
      const before = sample(await a.metrics(), 'alphaswarm_log_stream_events_total', { outcome: 'invalid' });
      const res = await post(a, JSON.stringify([good[0], ...junk, good[1]]));
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        received: 8,
        stored: 2,
        skipped: { invalid: 6, undated: 0, too_old: 0, future: 0, duplicate: 0 },
      });
      expect(
        await storedRows(
          a,
          good.map((e) => e.log_id),
        ),
      ).toHaveLength(2);
      const after = sample(await a.metrics(), 'alphaswarm_log_stream_events_total', { outcome: 'invalid' });
      expect(after - before).toBe(6);
    });

    it('drops events older than the maximum age, dated beyond the clock skew, or undated, and counts them', async () => {
      const old = auth0Event({ date: new Date(Date.now() - 86_401_000).toISOString() });
      const future = auth0Event({ date: new Date(Date.now() + 120_000).toISOString() });
      const undated = auth0Event({ date: null });
      const unparsable = auth0Event({ date: 'yesterday' });
      const loose = auth0Event({ date: '1' });
      const withinSkew = auth0Event({ date: new Date(Date.now() + 10_000).toISOString() });
      const res = await post(a, JSON.stringify([old, future, undated, unparsable, loose, withinSkew]));
      expect(res.body).toEqual({
        received: 6,
        stored: 1,
        skipped: { invalid: 0, undated: 3, too_old: 1, future: 1, duplicate: 0 },
      });
      expect((await storedRows(a, [withinSkew.log_id])).length).toBe(1);
      const metrics = await a.metrics();
      for (const outcome of ['undated', 'too_old', 'future']) {
        expect(sample(metrics, 'alphaswarm_log_stream_events_total', { outcome })).toBeGreaterThan(0);
      }
    });

    it('does not revoke on a dropped event', async () => {
      const sub = freshSubject();
      const token = await issuer.token({ sub, iat: nowSeconds() - 86_500 });
      const stale = auth0Event({
        type: 'slo',
        user_id: sub,
        date: new Date(Date.now() - 86_401_000).toISOString(),
      });
      const res = await post(a, JSON.stringify([stale])).expect(200);
      expect(res.body).toMatchObject({ stored: 0, skipped: { too_old: 1 } });
      expect(await storedRows(a, [stale.log_id])).toEqual([]);
      expect(await whoami(a, token)).toEqual([200, undefined]);
    });

    it('deduplicates log_id within a batch and across redeliveries, on any instance', async () => {
      const events = [auth0Event(), auth0Event()];
      const first = await post(a, JSON.stringify([events[0], events[0], events[1]]));
      expect(first.body).toMatchObject({ received: 3, stored: 2, skipped: { duplicate: 1 } });
      // Auth0 redelivers the batch, this time to the other instance.
      const again = await post(b, JSON.stringify(events));
      expect(again.body).toMatchObject({ received: 2, stored: 0, skipped: { duplicate: 2 } });
      // The same id at the top level and under data is one event.
      const flat = await post(b, JSON.stringify([{ ...events[1].data, log_id: events[1].log_id }]));
      expect(flat.body).toMatchObject({ stored: 0, skipped: { duplicate: 1 } });
    });

    it('stores unknown event types and ignores them', async () => {
      const sub = freshSubject();
      const token = await issuer.token({ sub, iat: nowSeconds() - 60 });
      const events = [
        auth0Event({ type: 's', user_id: sub }),
        auth0Event({ type: 'zz_new_code', user_id: sub }),
      ];
      await post(a, JSON.stringify(events)).expect(200);
      expect(
        await storedRows(
          a,
          events.map((e) => e.log_id),
        ),
      ).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ event_type: 's', revokes: false, subject: sub }),
          expect.objectContaining({ event_type: 'zz_new_code', revokes: false, subject: sub }),
        ]),
      );
      expect(await whoami(b, token)).toEqual([200, undefined]);
    });
  });

  describe('revocation', () => {
    it('a logout posted to A makes B refuse the old token with 401 token_revoked within one second', async () => {
      const sub = freshSubject();
      const old = await issuer.token({ sub, iat: nowSeconds() - 60 });
      expect(await whoami(b, old)).toEqual([200, undefined]);

      const loggedOutAt = new Date();
      const event = auth0Event({ type: 'slo', user_id: sub, date: loggedOutAt.toISOString() });
      const started = Date.now();
      await post(a, JSON.stringify([event])).expect(200);
      await waitFor(async () => (await whoami(b, old))[0] === 401, { timeoutMs: 1000, what: 'B refusing' });
      expect(Date.now() - started).toBeLessThan(1000);
      expect(await whoami(b, old)).toEqual([401, 'token_revoked']);

      const fresh = await issuer.token({ sub, iat: Math.floor(loggedOutAt.getTime() / 1000) + 1 });
      expect(await whoami(b, fresh)).toEqual([200, undefined]);

      await waitFor(async () => (await storedRows(a, [event.log_id]))[0]?.processed_at !== null, {
        what: 'the event marked processed',
      });
      const [row] = await revocationLedgerRows(a, sub);
      expect(row).toMatchObject({
        outcome: 'success',
        details: { source: 'auth0_log_stream', event_types: ['slo'], log_ids: [event.log_id] },
      });
    });

    it.each([
      'slo',
      'scp',
      'sdu',
      'limit_wc',
      'limit_sul',
      'srrt',
      'ferrt',
      'oidc_backchannel_logout_succeeded',
      'universal_logout_succeeded',
    ])('revokes on %s', async (type) => {
      const sub = freshSubject();
      const old = await issuer.token({ sub, iat: nowSeconds() - 60 });
      await post(a, JSON.stringify([auth0Event({ type, user_id: sub })])).expect(200);
      await waitFor(async () => (await whoami(b, old))[0] === 401, {
        timeoutMs: 2000,
        what: `${type} revoking`,
      });
    });

    it.each([
      ['DELETE', '/api/v2/users/{id}/sessions', undefined],
      ['DELETE', '/api/v2/users/{id}/refresh-tokens', undefined],
      ['DELETE', '/api/v2/users/{id}', undefined],
      ['PATCH', '/api/v2/users/{id}', { blocked: true }],
      ['PATCH', '/api/v2/users/{id}', { password: 'new-password-1' }],
    ])('revokes on a Management API %s %s (sapi)', async (method, path, body) => {
      const sub = freshSubject();
      const old = await issuer.token({ sub, iat: nowSeconds() - 60 });
      const request = { method, path: path.replace('{id}', encodeURIComponent(sub)), body };
      // The sapi event's own user_id is the caller's (an admin), never the user addressed.
      const event = auth0Event({ type: 'sapi', user_id: 'auth0|an-admin', details: { request } });
      await post(a, JSON.stringify([event])).expect(200);
      await waitFor(async () => (await whoami(b, old))[0] === 401, {
        timeoutMs: 2000,
        what: 'sapi revoking',
      });
      expect(await storedRows(a, [event.log_id])).toMatchObject([{ subject: sub, revokes: true }]);
    });

    it.each([
      ['GET', '/api/v2/users/{id}', undefined],
      ['PATCH', '/api/v2/users/{id}', { blocked: false, name: 'x' }],
      ['DELETE', '/api/v2/clients/{id}', undefined],
    ])('does not revoke on a Management API %s %s', async (method, path, body) => {
      const sub = freshSubject();
      const old = await issuer.token({ sub, iat: nowSeconds() - 60 });
      const request = { method, path: path.replace('{id}', encodeURIComponent(sub)), body };
      const event = auth0Event({ type: 'sapi', details: { request } });
      const res = await post(a, JSON.stringify([event])).expect(200);
      expect(res.body.stored).toBe(1);
      expect(await storedRows(a, [event.log_id])).toMatchObject([{ revokes: false }]);
      expect(await whoami(b, old)).toEqual([200, undefined]);
    });

    it('revokes each user of a batch once, at their latest event', async () => {
      const sub = freshSubject();
      const early = new Date(Date.now() - 30_000);
      const late = new Date(Date.now() - 10_000);
      const events = [
        auth0Event({ type: 'scp', user_id: sub, date: late.toISOString() }),
        auth0Event({ type: 'slo', user_id: sub, date: early.toISOString() }),
      ];
      await post(a, JSON.stringify(events)).expect(200);
      await waitFor(async () => (await revocationLedgerRows(a, sub)).length === 1, {
        what: 'the ledger row',
      });
      const between = await issuer.token({ sub, iat: Math.floor(late.getTime() / 1000) - 5 });
      expect(await whoami(b, between)).toEqual([401, 'token_revoked']);
      const [row] = await revocationLedgerRows(a, sub);
      expect(row.details).toMatchObject({ revoked_before: late.toISOString(), log_id_count: 2 });
    });
  });

  describe('a revoking event whose job was lost', () => {
    it('is queued again by the sweep and acted on once, however many instances sweep', async () => {
      const sub = freshSubject();
      const old = await issuer.token({ sub, iat: nowSeconds() - 60 });
      const logId = `lost-${randomUUID()}`;
      // Stored and dispatched a minute ago, but its job never ran (the instance died, the queue lost it).
      await a.app.get(DataSource).query(
        `INSERT INTO auth0_log_events (log_id, event_type, subject, occurred_at, revokes, dispatched_at)
           VALUES ($1, 'slo', $2, now(), true, now() - interval '1 minute')`,
        [logId, sub],
      );
      await waitFor(async () => (await whoami(b, old))[0] === 401, { timeoutMs: 10_000, what: 'the sweep' });
      await waitFor(async () => (await storedRows(a, [logId]))[0].processed_at !== null, {
        what: 'the event marked processed',
      });
      expect(await revocationLedgerRows(a, sub)).toHaveLength(1);
    });
  });

  describe('a batch of 5,000 events', () => {
    it('is stored and answered well inside Auth0 timeout, revocations acted on afterwards', async () => {
      const revoked = Array.from({ length: 50 }, () => freshSubject());
      const events = Array.from({ length: 5000 }, (_, i) =>
        i < revoked.length ? auth0Event({ type: 'slo', user_id: revoked[i] }) : auth0Event({ type: 's' }),
      );
      const tokens = await Promise.all(
        revoked.slice(0, 3).map((sub) => issuer.token({ sub, iat: nowSeconds() - 60 })),
      );
      const started = Date.now();
      const res = await post(a, JSON.stringify(events));
      const elapsed = Date.now() - started;
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ received: 5000, stored: 5000 });
      expect(elapsed).toBeLessThan(5000);
      for (const token of tokens) {
        await waitFor(async () => (await whoami(b, token))[0] === 401, {
          timeoutMs: 5000,
          what: 'the revocations',
        });
      }
    });

    it('answers 413 to a body over the webhook limit', async () => {
      const res = await post(a, `[${' '.repeat(33 * 1024 * 1024)}]`);
      expect([res.status, res.body.reason]).toEqual([413, 'payload_too_large']);
    });
  });

  describe('with Redis unreachable', () => {
    let proxy: TcpProxy;
    let e: TestApp;

    beforeAll(async () => {
      proxy = await TcpProxy.start(REDIS);
      e = await startTestApp({ ...env, REDIS_URL: proxy.url });
    });
    afterAll(async () => {
      await e.close();
      await proxy.down();
    });

    it('still stores the batch and answers 200; the revocation is acted on once Redis is back', async () => {
      const sub = freshSubject();
      const old = await issuer.token({ sub, iat: nowSeconds() - 60 });
      await proxy.down();
      const event = auth0Event({ type: 'slo', user_id: sub });
      const res = await post(e, JSON.stringify([event]));
      expect([res.status, res.body.stored]).toEqual([200, 1]);
      expect(await storedRows(a, [event.log_id])).toMatchObject([{ revokes: true, processed_at: null }]);

      await proxy.up();
      await waitFor(async () => (await whoami(a, old))[0] === 401, { timeoutMs: 20_000, what: 'A refusing' });
      await waitFor(async () => (await whoami(e, old))[0] === 401, { timeoutMs: 5000, what: 'E refusing' });
      expect((await storedRows(a, [event.log_id]))[0].processed_at).not.toBeNull();
    });
  });

  describe('with Postgres unreachable', () => {
    let proxy: TcpProxy;
    let f: TestApp;

    beforeAll(async () => {
      proxy = await TcpProxy.start(POSTGRES);
      const direct = new URL(await workerDatabaseUrl());
      direct.host = `127.0.0.1:${proxy.port}`;
      f = await startTestApp({ ...env, DATABASE_URL: direct.toString() });
    });
    afterAll(async () => {
      await proxy.up().catch(() => undefined);
      await f.close();
      await proxy.down();
    });

    it('answers 503 (so Auth0 delivers the batch again), never 200 for a batch it did not store', async () => {
      await proxy.down();
      const event = auth0Event({ type: 'slo' });
      const res = await post(f, JSON.stringify([event]));
      expect([res.status, res.body.reason]).toEqual([503, 'service_unavailable']);
      expect(await storedRows(a, [event.log_id])).toEqual([]);
    });
  });
});
