import { RequestError } from '../errors/request-error';
import { CursorCodec } from './cursor-codec';

interface Position {
  readonly at: string;
  readonly n: number;
}

const sut = new CursorCodec<Position>(
  (position) => [position.at, position.n],
  (payload) => {
    if (!Array.isArray(payload)) return undefined;
    const [at, n] = payload as unknown[];
    return typeof at === 'string' && typeof n === 'number' ? { at, n } : undefined;
  },
  'cursor must be a next_cursor this service returned',
);

const encoded = (payload: unknown) => Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');

function refusalOf(cursor: string): unknown {
  try {
    sut.decode(cursor);
  } catch (error) {
    return error instanceof RequestError ? [error.status, error.reason, error.message] : error;
  }
  return 'accepted';
}

describe(CursorCodec.name, () => {
  it('decodes what it encoded', () => {
    const position = { at: '2026-01-02T03:04:05.123456Z', n: 7 };
    expect(sut.decode(sut.encode(position))).toEqual(position);
  });

  it('writes URL-safe base64 of the JSON payload, as cursors already handed out are', () => {
    const cursor = sut.encode({ at: 'é?>', n: 1 });
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(cursor).toBe(encoded(['é?>', 1]));
  });

  it.each([
    ['not base64 JSON', 'bm90IGpzb24'],
    ['empty', ''],
    ['another list’s shape', encoded({ s: '12', o: 'desc' })],
    ['a tampered field', encoded(['2026-01-02T03:04:05.123456Z', 'seven'])],
    ['JSON null', encoded(null)],
  ])('refuses %s with 400 invalid_request', (_what, cursor) => {
    expect(refusalOf(cursor)).toEqual([
      400,
      'invalid_request',
      'cursor must be a next_cursor this service returned',
    ]);
  });
});
