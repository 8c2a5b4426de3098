import canonicalize from 'canonicalize';
import { canonicalJson, hashOf } from '../../src/audit/ledger/audit-chain';
import { mulberry32 } from '../support/random';

/**
 * The ledger's hashes must not change with the serializer: rows already stored were hashed over
 * `canonicalize`'s RFC 8785 output, and the verifier recomputes them with `canonicalJson`. So the two must
 * agree on every value a row can hold, including the awkward ones: keys that look like array indexes
 * (which JavaScript enumerates first), keys and strings with control characters, quotes, backslashes,
 * line separators, pairs and lone halves of surrogates, and numbers at the edges of their notation.
 */
describe('canonicalJson (the audit chain’s RFC 8785 serializer)', () => {
  const awkwardStrings = [
    '',
    'plain',
    'a"quote',
    'back\\slash',
    'nul\u0000byte',
    'tab\tnew\nline\rfeed\f\b',
    '\u001f\u007f',
    '\u2028\u2029',
    'é€',
    '😀 pair',
    'lone \ud800 high',
    'lone \udfff low',
    '\udc00\ud800 reversed',
    '0',
    '1',
    '9',
    '10',
    '01',
    '-1',
    '4294967294',
    '4294967295',
    '1e3',
    '__proto__',
    'constructor',
    'x'.repeat(6000),
  ];
  const awkwardNumbers = [
    0,
    -0,
    1,
    -1,
    0.1 + 0.2,
    1e21,
    1e-7,
    5e-324,
    1.7976931348623157e308,
    2 ** 53,
    -(2 ** 53) + 1,
    333333333.3333333,
    123456789012345680000,
    4.5,
    1e-6,
  ];

  function valueOf(next: () => number, depth: number): unknown {
    const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)];
    const kind = depth > 3 ? Math.floor(next() * 4) : Math.floor(next() * 6);
    switch (kind) {
      case 0:
        return pick(awkwardStrings);
      case 1:
        return pick(awkwardNumbers);
      case 2:
        return pick([true, false, null]);
      case 3:
        return pick(awkwardStrings).slice(0, 40) + String(Math.floor(next() * 1000));
      case 4:
        return Array.from({ length: Math.floor(next() * 4) }, () => valueOf(next, depth + 1));
      default: {
        const object: Record<string, unknown> = {};
        for (let i = Math.floor(next() * 7); i > 0; i -= 1) {
          object[pick(awkwardStrings).slice(0, 12)] = valueOf(next, depth + 1);
        }
        return object;
      }
    }
  }

  it('writes what the reference RFC 8785 implementation writes, for 5,000 generated values', () => {
    for (let seed = 1; seed <= 5000; seed += 1) {
      const value = valueOf(mulberry32(seed), 0);
      expect([seed, canonicalJson(value)]).toEqual([seed, canonicalize(value)]);
    }
  });

  it('sorts members by UTF-16 code units, index-like names included, as the RFC’s example does', () => {
    const parsed: unknown = JSON.parse(
      '{"10":1,"9":2,"__proto__":3,"a":4,"":5,"é":6,"€":7,"😀":8,"\\ufb33":9}',
    );
    expect(canonicalJson(parsed)).toBe(canonicalize(parsed));
    expect(canonicalJson(parsed)).toBe(
      '{"":5,"10":1,"9":2,"__proto__":3,"a":4,"\u00e9":6,"\u20ac":7,"\ud83d\ude00":8,"\ufb33":9}',
    );
  });

  it('gives a row the hash the reference serializer gives it', () => {
    const row = {
      id: '0b7e6f4e-3c2a-4d1f-9a8b-7c6d5e4f3a2b',
      seq: '12345',
      created_at: '2026-11-29T22:00:00.123000Z',
      org_id: null,
      user_id: 'auth0|user-1',
      actor_user_id: 'agent|bench',
      event_type: 'mcp.tool_invoked',
      outcome: 'success' as const,
      reason: null,
      route: '/mcp/data/tools/:tool/invoke',
      ip: '127.0.0.1',
      request_id: '5f1c2d3e-4b5a-4697-8a9b-0c1d2e3f4a5b',
      details: { server: 'data', delegation: { actor: 'agent|bench', chain: [] }, n: 1.5 },
      prev_hash: 'a'.repeat(64),
    };
    // Computed with `canonicalize` 2.1.0 and SHA-256 before the ledger moved to canonicalJson.
    expect(hashOf(row)).toBe('2cc92ec1a7de5164adac7441b02a508865d6def33dc3fe939ce724b363cba7cc');
  });

  it('refuses what JSON cannot hold instead of hashing it', () => {
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(() => canonicalJson(cycle)).toThrow();
    expect(() => canonicalJson({ n: Number.NaN })).toThrow();
    expect(() => canonicalJson({ n: Number.POSITIVE_INFINITY })).toThrow();
    expect(() => canonicalJson({ f: () => 1 })).toThrow();
  });
});
