import { newRequestId, requestIdFrom } from './request-id';

describe('request ids', () => {
  it('makes ids that never repeat in a process and that a peer would keep as supplied', () => {
    const ids = Array.from({ length: 10_000 }, () => newRequestId());
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids.slice(0, 100)) expect(requestIdFrom(id)).toBe(id);
  });

  it("shares no prefix with another process's ids", async () => {
    const here = newRequestId().split('-').slice(0, -1).join('-');
    jest.resetModules();
    const other = (await import('./request-id')).newRequestId();
    expect(here).toHaveLength(16);
    expect(other.startsWith(here)).toBe(false);
  });

  it.each([
    ['a header given twice', ['a', 'b']],
    ['an id over 128 characters', 'x'.repeat(129)],
    ['an empty id', ''],
    ['an id with a space', 'a b'],
    ['an id with a line break', 'a\nb'],
    ['an id with a slash', 'a/b'],
  ])('replaces %s with an id of its own', (_what, supplied) => {
    const id = requestIdFrom(supplied);
    expect(id).not.toEqual(supplied);
    expect(id).toMatch(/^[\w-]{16}-[0-9a-z]+$/);
  });

  it('keeps a short plain id the caller sent', () => {
    expect(requestIdFrom('trace:abc-123.4_5')).toBe('trace:abc-123.4_5');
  });
});
