import { type AuthReason, REASON_CODES } from '../../src/identity/errors/reason-codes';
import { startTestApp, type TestApp } from '../support/app';
import { FixtureModule } from '../support/fixture.module';
import { TestIssuer } from '../support/issuer';
import { mulberry32 } from '../support/random';

/*
 * Mutation fuzzing of one valid token. Replay a run with FUZZ_SEED=<seed printed in the test name>.
 */
const MUTATIONS = 1200;
const CONCURRENCY = 8;
const REQUEST_TIMEOUT_MS = 3000;
const SEED = seedFrom(process.env.FUZZ_SEED);

function seedFrom(text: string | undefined): number {
  if (text === undefined || text === '') return Date.now() >>> 0;
  const seed = Number(text);
  if (!Number.isInteger(seed)) throw new Error(`FUZZ_SEED must be an integer, got ${JSON.stringify(text)}`);
  return seed >>> 0;
}

class Random {
  private readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
/** Printable ASCII (space to tilde): anything else cannot be sent in a header at all. */
const PRINTABLE = Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i)).join('');
const SENDABLE = /^[\x20-\x7e]*$/;

const encode = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
const decode = (segment: string): Record<string, unknown> =>
  JSON.parse(Buffer.from(segment, 'base64url').toString('utf8')) as Record<string, unknown>;

/** A character the mutators insert: mostly base64url, sometimes structure, sometimes any printable. */
function randomChar(random: Random): string {
  if (random.chance(0.6)) return random.pick([...B64URL]);
  if (random.chance(0.5)) return random.pick(['.', '=', '+', '/', '~', ' ', '%', '"']);
  return random.pick([...PRINTABLE]);
}

/** A JSON value of any type, including the ones claims must never have. */
function randomValue(random: Random, depth = 0): unknown {
  switch (random.int(depth > 1 ? 6 : 8)) {
    case 0:
      return random.pick(['', 'read:portfolio', 'admin:cluster', 'auth0|mallory', 'a'.repeat(600), '\u0000']);
    case 1:
      return random.pick([0, -1, 1.5, 2 ** 53, -(2 ** 31), 1e308, Math.floor(Date.now() / 1000) + 86400]);
    case 2:
      return null;
    case 3:
      return random.chance(0.5);
    case 4:
      return String(random.int(1e9));
    case 5:
      return random.pick(['https://api.test.alphaswarm/', 'http://127.0.0.1:1/', 'RS256', 'none']);
    case 6:
      return Array.from({ length: random.int(3) }, () => randomValue(random, depth + 1));
    default:
      return { sub: randomValue(random, depth + 1) };
  }
}

type Mutator = (token: string, random: Random) => string;

/** Every mutation kind, by name (the name is reported with each offender). */
const MUTATORS: Record<string, Mutator> = {
  'flip-bit': (token, random) => {
    const i = random.int(token.length);
    let code = token.charCodeAt(i) ^ (1 << random.int(7));
    // Keep it printable: out-of-range results are re-mapped onto the base64url alphabet.
    if (code < 0x20 || code > 0x7e) code = B64URL.charCodeAt(code % 64);
    return token.slice(0, i) + String.fromCharCode(code) + token.slice(i + 1);
  },
  'delete-char': (token, random) => {
    const i = random.int(token.length);
    return token.slice(0, i) + token.slice(i + 1);
  },
  'insert-char': (token, random) => {
    const i = random.int(token.length + 1);
    return token.slice(0, i) + randomChar(random) + token.slice(i);
  },
  'swap-segments': (token, random) => {
    const parts = token.split('.');
    const a = random.int(parts.length);
    const b = (a + 1 + random.int(parts.length - 1)) % parts.length;
    [parts[a], parts[b]] = [parts[b], parts[a]];
    return parts.join('.');
  },
  'duplicate-segment': (token, random) => {
    const parts = token.split('.');
    const copy = parts[random.int(parts.length)];
    parts.splice(random.int(parts.length + 1), 0, copy);
    return parts.join('.');
  },
  'drop-signature': (token, random) => {
    const [header, payload] = token.split('.');
    return random.pick([`${header}.${payload}.`, `${header}.${payload}`]);
  },
  'replace-claim': (token, random) => {
    const [header, payload, signature] = token.split('.');
    const claims = decode(payload);
    const name = random.pick([...Object.keys(claims), 'nonce', 'cnf', 'act', 'scope', 'nbf']);
    if (random.chance(0.15)) delete claims[name];
    else claims[name] = randomValue(random);
    return `${header}.${encode(claims)}.${signature}`;
  },
  'replace-header': (token, random) => {
    const [header, payload, signature] = token.split('.');
    const members = decode(header);
    if (random.chance(0.5)) {
      members.alg = random.pick([
        'none',
        'None',
        'HS256',
        'RS384',
        'RS512',
        'PS256',
        'ES256',
        'EdDSA',
        '',
        42,
      ]);
    } else {
      members.kid = random.pick([
        'k-unknown',
        '',
        '../../etc/passwd',
        "' OR 1=1--",
        'k'.repeat(300),
        null,
        7,
        random.int(1e6).toString(36),
      ]);
    }
    return `${encode(members)}.${payload}.${signature}`;
  },
  truncate: (token, random) => token.slice(0, random.int(token.length)),
  'append-garbage': (token, random) =>
    token + Array.from({ length: 1 + random.int(48) }, () => randomChar(random)).join(''),
};

/**
 * The reasons a 401 may give for a mutated token: what is wrong with its shape, header, issuer, key or
 * signature. The issuer is read before any key is looked up, so a foreign issuer is refused as such
 * without a JWKS fetch; every other claim check (expiry, audience, actor, DPoP binding) runs only
 * once the signature verifies, which a token with other signed content never does and the original
 * passes; `missing_token` would deny that a token was sent at all. A 403 is never right here: the route needs only
 * `read:portfolio`, which the original carries, so an authorization refusal means a token with other
 * signed content was verified.
 */
const TOKEN_FAILURES: readonly AuthReason[] = [
  'malformed_token',
  'wrong_issuer',
  'invalid_signature',
  'no_matching_key',
  'forbidden_algorithm',
];
const INVALID_TOKEN_CHALLENGE = /^Bearer error="invalid_token", error_description="[^"]*"/;

/** The signed content of a compact JWS: its first two segments. */
const signedContent = (token: string) => token.split('.').slice(0, 2).join('.');

interface Outcome {
  kind: string;
  token: string;
  status?: number;
  reason?: unknown;
  challenge?: string | null;
  error?: string;
}

async function send(
  url: string,
  token: string,
): Promise<{ status: number; body: unknown; challenge: string | null }> {
  const response = await fetch(`${url}/fixture/portfolio`, {
    headers: { authorization: `Bearer ${token}` },
    // A request the service never answers is an offender too, not a test timeout.
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: response.status, body, challenge: response.headers.get('www-authenticate') };
}

/** Runs `work` over `items`, `limit` at a time. */
async function pool<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]);
  };
  await Promise.all(Array.from({ length: limit }, worker));
}

describe('token fuzzing', () => {
  let issuer: TestIssuer;
  let t: TestApp;
  let original: string;

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    t = await startTestApp(issuer.env(), [FixtureModule]);
    // Ten minutes long, so the token outlives any slow run.
    original = await issuer.token({
      permissions: ['read:portfolio'],
      exp: Math.floor(Date.now() / 1000) + 600,
    });
  });
  afterAll(async () => {
    await t.close();
    await issuer.stop();
  });

  it('accepts the unmutated token (control)', async () => {
    const res = await send(t.url, original);
    expect([res.status, res.body]).toEqual([200, { ok: true }]);
  });

  it(`answers ${MUTATIONS} mutations with 200 or 401 and a token-failure reason; 200 only for the same signed content (seed ${SEED}; replay with FUZZ_SEED=${SEED})`, async () => {
    const random = new Random(SEED);
    const kinds = Object.keys(MUTATORS);
    const cases: { kind: string; token: string }[] = [];
    let skipped = 0;
    while (cases.length < MUTATIONS) {
      const kind = random.pick(kinds);
      // Spaces at either end are HTTP whitespace around the value, not part of the token: trim them
      // so the token compared below is the token the service reads.
      const token = MUTATORS[kind](original, random).replace(/^ +| +$/g, '');
      if (!SENDABLE.test(token)) {
        skipped += 1; // cannot be put in a header at all
        continue;
      }
      cases.push({ kind, token });
    }

    const violations: (Outcome & { why: string })[] = [];
    const byKind: Record<string, Record<number, number>> = {};
    await pool(cases, CONCURRENCY, async ({ kind, token }) => {
      let res: Awaited<ReturnType<typeof send>>;
      try {
        res = await send(t.url, token);
      } catch (error) {
        // AbortSignal.timeout rejects with a DOMException from another realm than Jest's Error.
        const timedOut = (error as { name?: unknown } | null)?.name === 'TimeoutError';
        const why = timedOut ? `no response within ${REQUEST_TIMEOUT_MS} ms` : 'request failed';
        violations.push({ kind, token, why, error: String(error) });
        return;
      }
      const counts = (byKind[kind] ??= {});
      counts[res.status] = (counts[res.status] ?? 0) + 1;
      const reason =
        typeof res.body === 'object' && res.body !== null
          ? (res.body as { reason?: unknown }).reason
          : undefined;
      const outcome = { kind, token, status: res.status, reason };
      if (res.status >= 500) violations.push({ ...outcome, why: 'server error' });
      else if (res.status !== 200 && res.status !== 401)
        violations.push({ ...outcome, why: 'neither 200 nor 401' });
      if (res.status !== 200 && !(REASON_CODES as readonly unknown[]).includes(reason)) {
        violations.push({ ...outcome, why: 'reason missing or not in REASON_CODES' });
      }
      if (res.status === 401 && !(TOKEN_FAILURES as readonly unknown[]).includes(reason)) {
        violations.push({ ...outcome, why: `401 reason is not one of ${TOKEN_FAILURES.join(', ')}` });
      }
      if (res.status === 401 && !INVALID_TOKEN_CHALLENGE.test(res.challenge ?? '')) {
        violations.push({
          ...outcome,
          challenge: res.challenge,
          why: '401 without an invalid_token challenge',
        });
      }
      if (res.status === 200 && signedContent(token) !== signedContent(original)) {
        violations.push({ ...outcome, why: 'accepted with different signed content (header.payload)' });
      }
    });

    if (violations.length > 0) {
      console.error(
        `fuzz seed ${SEED} (replay: FUZZ_SEED=${SEED}): ${violations.length} violation(s), ` +
          `${skipped} unsendable mutation(s) skipped; statuses by kind: ${JSON.stringify(byKind)}`,
      );
    }
    expect({ seed: SEED, violations }).toEqual({ seed: SEED, violations: [] });
    // Every kind was exercised, and the run was not vacuous (most mutations are refused).
    expect(Object.keys(byKind).sort()).toEqual([...kinds].sort());
    const refused = Object.values(byKind).reduce((sum, counts) => sum + (counts[401] ?? 0), 0);
    expect(refused).toBeGreaterThan(MUTATIONS / 2);
  });
});
