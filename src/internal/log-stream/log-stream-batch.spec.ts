import { meaningOf } from './auth0-event-types';
import { elementsOf, sortBatch } from './log-stream-batch';

const NOW = Date.parse('2026-01-10T12:00:00.000Z');
const WINDOW = { now: NOW, maxAgeMs: 86_400_000, skewMs: 30_000 };
const event = (log_id: string, data: Record<string, unknown> = {}) => ({
  log_id,
  data: { type: 's', date: '2026-01-10T11:59:00.000Z', ...data },
});

describe(elementsOf.name, () => {
  it('reads an array, an object and JSON lines, and nothing else', () => {
    expect(elementsOf('[{"a":1},2]')).toEqual([{ a: 1 }, 2]);
    expect(elementsOf(' {"a":1} ')).toEqual([{ a: 1 }]);
    expect(elementsOf('{"a":1}\r\n\r\n{"a":2}\n')).toEqual([{ a: 1 }, { a: 2 }]);
    for (const body of ['', '  ', '1', '"x"', 'null', '{"a":1}\n{', '[1,'])
      expect(elementsOf(body)).toBeUndefined();
  });
});

describe(sortBatch.name, () => {
  it('keeps each log_id once and counts what it skips', () => {
    const sorted = sortBatch(
      [event('a'), event('a'), { data: { log_id: 'b', type: 's', date: '2026-01-10T11:00:00Z' } }, 'junk'],
      WINDOW,
    );
    expect(sorted.events.map((e) => e.logId)).toEqual(['a', 'b']);
    expect(sorted.dropped).toEqual({ invalid: 1, undated: 0, too_old: 0, future: 0, duplicate: 1 });
  });

  it('dates events only by an ISO 8601 date with a zone, inside the window', () => {
    const dates = [
      '2026-01-09T11:59:59Z',
      '2026-01-10T12:00:31Z',
      '2026-01-10 11:00',
      'Jan 10 2026',
      '2026-01-10T12:00:29+00:00',
    ];
    const sorted = sortBatch(
      dates.map((date, i) => event(String(i), { date })),
      WINDOW,
    );
    expect(sorted.events.map((e) => e.logId)).toEqual(['4']);
    expect(sorted.dropped).toMatchObject({ too_old: 1, future: 1, undated: 2 });
  });

  it('refuses a user_id that is not a string, and type codes that are not codes', () => {
    const sorted = sortBatch(
      [event('a', { user_id: 7 }), event('b', { type: 'S LO' }), event('c', { type: '' })],
      WINDOW,
    );
    expect(sorted.dropped.invalid).toBe(3);
  });
});

describe(meaningOf.name, () => {
  it('revokes on a revoking code only when there is a user to revoke', () => {
    expect(meaningOf('slo', 'auth0|a', undefined)).toEqual({ subject: 'auth0|a', revokes: true });
    expect(meaningOf('slo', null, undefined)).toEqual({ subject: null, revokes: false });
    expect(meaningOf('s', 'auth0|a', undefined)).toEqual({ subject: 'auth0|a', revokes: false });
    expect(meaningOf('toString', 'auth0|a', undefined).revokes).toBe(false);
  });

  it('reads the user of a Management API call from its path, never from the caller', () => {
    const sapi = (method: string, path: string, body?: unknown) =>
      meaningOf('sapi', 'auth0|admin', { request: { method, path, body } });
    expect(sapi('delete', '/api/v2/users/auth0%7Cbob/sessions')).toEqual({
      subject: 'auth0|bob',
      revokes: true,
    });
    expect(sapi('DELETE', '/users/auth0%7Cbob')).toEqual({ subject: 'auth0|bob', revokes: true });
    expect(sapi('PATCH', '/api/v2/users/auth0%7Cbob', { blocked: true }).revokes).toBe(true);
    expect(sapi('PATCH', '/api/v2/users/auth0%7Cbob', { blocked: 'true' }).revokes).toBe(false);
    expect(sapi('PATCH', '/api/v2/users/auth0%7Cbob/sessions', { blocked: true }).revokes).toBe(false);
    expect(sapi('DELETE', '/api/v2/users/%E0%A4%A').revokes).toBe(false); // does not decode
    expect(sapi('DELETE', '/api/v2/users/a/b/c').revokes).toBe(false);
    expect(meaningOf('sapi', 'auth0|admin', 'not details')).toEqual({
      subject: 'auth0|admin',
      revokes: false,
    });
  });
});
