import type { KeyObject } from 'node:crypto';
import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { importJWK, type JWK } from 'jose';
import { LRUCache } from 'lru-cache';
import { Gauge, type Counter } from 'prom-client';
import { APP_CONFIG, type AppConfig, type SigningAlgorithm } from '../../config/app-config';
import { MetricsService } from '../../observability/metrics.service';
import { AuthError } from '../errors/auth-error';

/** An unknown `kid` triggers at most one JWKS fetch per kid per this window… */
export const JWKS_KID_COOLDOWN_MS = 60_000;
/** …and at most this many fetches happen per minute in all, whatever tokens arrive. */
export const JWKS_FETCHES_PER_MINUTE = 10;
/** A JWKS fetch that takes longer fails: a slow IdP must not hold requests. */
export const JWKS_FETCH_TIMEOUT_MS = 5000;
/** The JWKS is refreshed in the background this often (a removed key stops verifying after it). */
export const JWKS_REFRESH_INTERVAL_MS = 10 * 60_000;
/** RSA keys shorter than this are never used. */
export const MIN_RSA_MODULUS_BITS = 2048;
/** A JWKS document larger than this is refused as garbage. */
const MAX_JWKS_BYTES = 512 * 1024;
/**
 * Keys tried for one `kid`. During a rollover an IdP may publish the old and the new key under one kid
 * for a while; a token then verifies with either. More than this under one kid is not a rollover, and
 * the rest are ignored, so a token never costs more than this many signature checks.
 */
export const MAX_KEYS_PER_KID = 3;

interface IssuerKey {
  readonly key: KeyObject;
  /** The `alg` the JWK declares, when it declares one: tokens must then use exactly that. */
  readonly alg?: string;
}

/** The keys published under one kid, in document order (at most MAX_KEYS_PER_KID). */
interface KidKeys {
  readonly keys: readonly IssuerKey[];
  /** Their key objects, for the common case where every one of them suits the token's `alg`. */
  readonly objects: readonly KeyObject[];
}

interface KeySet {
  readonly byKid: ReadonlyMap<string, KidKeys>;
  /** Every key, for tokens without a `kid` (accepted only when the set has exactly one key). */
  readonly all: readonly IssuerKey[];
}

export interface JwksStatus {
  readonly status: 'warm' | 'stale' | 'cold';
  readonly uri: string;
  readonly keys: number;
  readonly lastFetchAt?: string;
  readonly ageSeconds?: number;
  readonly lastError?: string;
}

class JwksFetchError extends Error {}

/** JWK `alg` for keys that do not declare one, from their type and curve. */
function defaultAlg(jwk: JWK): SigningAlgorithm | undefined {
  if (jwk.kty === 'RSA') return 'RS256';
  if (jwk.kty === 'EC')
    return ({ 'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512' } as const)[jwk.crv ?? ''];
  if (jwk.kty === 'OKP' && (jwk.crv === 'Ed25519' || jwk.crv === 'Ed448')) return 'EdDSA';
  return undefined;
}

/**
 * The issuer's signing keys, from its JWKS only: keys named by a token (`jku`, `x5u`, `jwk`, `x5c`) are
 * never fetched or used. Each key is imported once (jose) into a `KeyObject`, so the verifier never
 * parses key material on the hot path.
 *
 * Lifecycle: fetched at boot (retried with backoff until it works), refreshed in the background every
 * 10 minutes, and refetched when a token names an unknown `kid` — at most once per kid per minute and
 * 10 times a minute in all; concurrent requests share one in-flight fetch. A failed fetch (IdP down,
 * 500, HTML, `{"keys":"x"}`, unusable keys) keeps the last good key set serving: the staleness shows
 * in /readyz and `alphaswarm_jwks_age_seconds`. With no key set ever fetched, tokens get
 * `jwks_unreachable` within the 5 s fetch timeout.
 */
@Injectable()
export class JwksKeyStore implements OnApplicationShutdown {
  private readonly logger = new Logger(JwksKeyStore.name);
  private readonly uri: string;
  private readonly fetches: Counter<'outcome'>;
  private readonly kidCooldown = new LRUCache<string, true>({ max: 10_000, ttl: JWKS_KID_COOLDOWN_MS });
  private readonly recentFetches: number[] = [];
  private readonly changeListeners: (() => void)[] = [];
  private current?: KeySet;
  private inFlight?: Promise<KeySet>;
  private lastFetchAt?: number;
  private lastError?: string;
  private timer?: NodeJS.Timeout;
  private stopped = false;

  constructor(@Inject(APP_CONFIG) config: AppConfig, metrics: MetricsService) {
    this.uri = config.auth.jwksUri;
    this.fetches = metrics.counter('alphaswarm_jwks_fetches_total', 'JWKS fetches by outcome', ['outcome']);
    // Computed at scrape time, so the figure is never older than the scrape.
    const age: Gauge = new Gauge({
      name: 'alphaswarm_jwks_age_seconds',
      help: 'Seconds since the JWKS was last fetched successfully (-1 before the first success)',
      registers: [metrics.registry],
      collect: () => age.set(this.ageSeconds() ?? -1),
    });
  }

  /** Called whenever a refresh changes the key set (a key was added or removed). */
  onKeySetChange(listener: () => void): void {
    this.changeListeners.push(listener);
  }

  /** The verification keys for a token's header, or an AuthError naming why there is none. */
  async keysFor(kid: string | undefined, alg: string): Promise<readonly KeyObject[]> {
    let set = this.current;
    if (!set) {
      // Nothing fetched yet: join the fetch under way, or start one within the global cap. A flood of
      // tokens while the IdP is down must not turn into a flood of fetches.
      if (!this.inFlight && !this.withinGlobalCap()) throw new AuthError('jwks_unreachable');
      set = await this.fetchShared().catch(() => {
        throw new AuthError('jwks_unreachable');
      });
    } else if (!find(set, kid) && kid !== undefined) {
      // An unknown kid may be a rotation we have not seen yet: refetch, within the limits.
      if (this.inFlight || this.mayRefetchFor(kid)) set = await this.fetchShared().catch(() => set as KeySet);
    }
    const found = find(set, kid);
    if (!found) throw new AuthError('no_matching_key');
    return keysForAlg(found, alg);
  }

  /**
   * The keys from the key set in hand, without waiting, when that set has the token's `kid` (nearly
   * every token); undefined when `keysFor` must decide, which may mean a fetch.
   */
  knownKeys(kid: string | undefined, alg: string): readonly KeyObject[] | undefined {
    const found = this.current === undefined ? undefined : find(this.current, kid);
    return found === undefined ? undefined : keysForAlg(found, alg);
  }

  status(): JwksStatus {
    const age = this.ageSeconds();
    const stale = age !== undefined && age * 1000 > 2 * JWKS_REFRESH_INTERVAL_MS;
    return {
      status: this.current === undefined ? 'cold' : stale || this.lastError !== undefined ? 'stale' : 'warm',
      uri: this.uri,
      keys: this.current?.all.length ?? 0,
      lastFetchAt: this.lastFetchAt === undefined ? undefined : new Date(this.lastFetchAt).toISOString(),
      ageSeconds: age,
      lastError: this.lastError,
    };
  }

  /**
   * Fetches until one fetch succeeds (backing off from 250 ms to 30 s), so a process booted while the
   * IdP is down becomes ready without a restart; then refreshes every 10 minutes, in the background.
   */
  startWarming(): void {
    let delay = 250;
    const attempt = async (): Promise<void> => {
      if (this.stopped) return;
      // The background obeys the same per-minute cap as request-triggered fetches: together they stay
      // within it however long the IdP stays down.
      const ok =
        (this.inFlight !== undefined || this.withinGlobalCap()) &&
        (await this.fetchShared().then(
          () => true,
          () => false,
        ));
      if (this.stopped) return;
      this.schedule(attempt, ok ? JWKS_REFRESH_INTERVAL_MS : delay);
      delay = ok ? 250 : Math.min(delay * 2, 30_000);
    };
    void attempt();
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private schedule(task: () => Promise<void>, delay: number): void {
    this.timer = setTimeout(() => void task(), delay);
    this.timer.unref();
  }

  private ageSeconds(): number | undefined {
    return this.lastFetchAt === undefined ? undefined : Math.floor((Date.now() - this.lastFetchAt) / 1000);
  }

  /** Per-kid cooldown and a global cap, so a flood of invented kids cannot hammer the IdP. */
  private mayRefetchFor(kid: string): boolean {
    if (this.kidCooldown.has(kid) || !this.withinGlobalCap()) return false;
    this.kidCooldown.set(kid, true);
    return true;
  }

  /** Fewer than the cap's fetches (background ones included) started in the last minute. */
  private withinGlobalCap(): boolean {
    const now = Date.now();
    while (this.recentFetches.length > 0 && this.recentFetches[0] <= now - 60_000) this.recentFetches.shift();
    return this.recentFetches.length < JWKS_FETCHES_PER_MINUTE;
  }

  /** One fetch at a time: every caller during a fetch awaits the same promise. */
  private fetchShared(): Promise<KeySet> {
    this.inFlight ??= this.fetchKeySet().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async fetchKeySet(): Promise<KeySet> {
    // Only the last minute matters; the background retries alone must not grow this without end.
    if (this.recentFetches.length >= 2 * JWKS_FETCHES_PER_MINUTE) this.recentFetches.shift();
    this.recentFetches.push(Date.now());
    try {
      const set = await this.download();
      const previous = this.current;
      this.current = set;
      this.lastFetchAt = Date.now();
      this.lastError = undefined;
      this.fetches.inc({ outcome: 'ok' });
      if (previous && !sameKeys(previous, set)) for (const listener of this.changeListeners) listener();
      return set;
    } catch (error) {
      this.lastError = error instanceof Error ? error.message : String(error);
      this.fetches.inc({ outcome: 'error' });
      this.logger.warn({
        event: 'jwks_fetch_failed',
        uri: this.uri,
        error: this.lastError,
        serving: this.current ? 'last good key set' : 'nothing',
      });
      throw new JwksFetchError(this.lastError);
    }
  }

  private async download(): Promise<KeySet> {
    const response = await fetch(this.uri, {
      headers: { accept: 'application/json' },
      redirect: 'error',
      signal: AbortSignal.timeout(JWKS_FETCH_TIMEOUT_MS),
    });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const text = await response.text();
    if (text.length > MAX_JWKS_BYTES) throw new Error('the JWKS is too large');
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new Error('the response is not JSON');
    }
    const keys = (body as { keys?: unknown } | null)?.keys;
    if (!Array.isArray(keys)) throw new Error('the response is not a JWKS');
    const usable = (await Promise.all(keys.map((jwk) => importKey(jwk)))).filter(
      (entry): entry is [string | undefined, IssuerKey] => entry !== undefined,
    );
    if (usable.length === 0) throw new Error('the JWKS has no usable signing key');
    const grouped = new Map<string, IssuerKey[]>();
    for (const [kid, key] of usable) {
      if (kid === undefined) continue;
      const keys = grouped.get(kid) ?? [];
      if (keys.length < MAX_KEYS_PER_KID) keys.push(key);
      grouped.set(kid, keys);
    }
    const byKid = new Map<string, KidKeys>();
    for (const [kid, keys] of grouped) byKid.set(kid, { keys, objects: keys.map((entry) => entry.key) });
    return { byKid, all: usable.map(([, key]) => key) };
  }
}

/**
 * One JWK as a verification key, or undefined when it must not be used: private members present, not
 * a signing key, an unsupported type, RSA under 2048 bits, or parameters that do not import.
 */
async function importKey(value: unknown): Promise<[string | undefined, IssuerKey] | undefined> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const jwk = value as JWK;
  if ('d' in jwk || 'p' in jwk || 'k' in jwk) return undefined;
  if (jwk.use !== undefined && jwk.use !== 'sig') return undefined;
  if (jwk.key_ops !== undefined && !(Array.isArray(jwk.key_ops) && jwk.key_ops.includes('verify')))
    return undefined;
  if (jwk.kid !== undefined && typeof jwk.kid !== 'string') return undefined;
  const alg = typeof jwk.alg === 'string' ? jwk.alg : defaultAlg(jwk);
  if (alg === undefined) return undefined;
  try {
    const key = (await importJWK({ ...jwk, ext: true }, alg)) as KeyObject;
    if (key.type !== 'public') return undefined;
    const bits = key.asymmetricKeyDetails?.modulusLength;
    if (key.asymmetricKeyType?.startsWith('rsa') && (bits === undefined || bits < MIN_RSA_MODULUS_BITS)) {
      return undefined;
    }
    return [jwk.kid, { key, alg: typeof jwk.alg === 'string' ? jwk.alg : undefined }];
  } catch {
    return undefined;
  }
}

/** A key declaring its `alg` verifies only tokens of exactly that algorithm. */
function keysForAlg(found: KidKeys, alg: string): readonly KeyObject[] {
  const suits = (entry: IssuerKey) => entry.alg === undefined || entry.alg === alg;
  if (found.keys.every(suits)) return found.objects;
  const keys = found.keys.filter(suits).map((entry) => entry.key);
  if (keys.length === 0) throw new AuthError('forbidden_algorithm');
  return keys;
}

function find(set: KeySet, kid: string | undefined): KidKeys | undefined {
  if (kid === undefined) {
    const only = set.all.length === 1 ? set.all[0] : undefined;
    return only === undefined ? undefined : { keys: [only], objects: [only.key] };
  }
  return set.byKid.get(kid);
}

/**
 * Whether two key sets verify exactly the same tokens: the same keys under the same kids. A key
 * replaced under its old kid, or a kid-less key removed, is a change too.
 */
function sameKeys(a: KeySet, b: KeySet): boolean {
  if (a.all.length !== b.all.length || a.byKid.size !== b.byKid.size) return false;
  const same = (x: IssuerKey, y: IssuerKey) => x.alg === y.alg && x.key.equals(y.key);
  for (const [kid, { keys }] of a.byKid) {
    const other = b.byKid.get(kid)?.keys;
    if (!other || other.length !== keys.length || !keys.every((key, i) => same(key, other[i]))) return false;
  }
  return a.all.every((key) => b.all.some((other) => same(key, other)));
}
