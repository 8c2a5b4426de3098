import { hash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { HotCounter, type HotSeries } from '../../observability/hot-counter';
import { MetricsService } from '../../observability/metrics.service';
import { JwksKeyStore } from '../jwt/jwks-key-store';
import type { Principal } from '../principal';
import { ConnectionTokenMemos } from './connection-token-memos';
import { SecondSightings } from './second-sightings';

/** At most this many verified tokens are remembered (about 1 KiB each: ~10 MiB at the cap). */
export const VERIFIED_TOKEN_CACHE_ENTRIES = 10_000;

/** How many of a token's last characters it is looked up by: 11 carry 6 bits each, the last at least 2. */
const LOOKUP_KEY_LENGTH = 12;

/** The SHA-256 of a token: what a remembered token is recognised by, so the cache holds no bearer token. */
function digestOf(token: string): string {
  return hash('sha256', token, 'base64url');
}

/**
 * Where the cache looks a token up: the last characters of its signature. They are as good as random,
 * so they tell remembered tokens apart (68 bits or more) without hashing anything, and a token never seen
 * before, the cache's most common miss once it is full, costs no hash at all. The lookup key only finds
 * an entry: the entry is the token's only when the token's SHA-256 is the one stored with it, so a token
 * that copies a remembered token's signature gets no further than that comparison. (V8 copies a slice
 * under 13 characters: the key holds nothing of the token beyond itself.)
 */
function lookupKeyOf(token: string): string {
  return token.slice(-LOOKUP_KEY_LENGTH);
}

interface Entry {
  readonly principal: Principal;
  /** `digestOf` the token: an entry found by lookup key is the token's only if this matches. */
  readonly digest: string;
}

/**
 * Tokens that passed full validation, so a token seen again skips signature and claim validation — and
 * nothing else: scope, step-up, MCP audience and DPoP checks run on every request. A token is found by
 * the last characters of its signature and recognised by its SHA-256 (see `lookupKeyOf`). `exp` and `nbf`
 * are re-checked on every hit; entries leave at expiry, when the issuer's key set changes (a removed key
 * must stop verifying at once), and when a subject's tokens are revoked. Only successes are stored: a
 * token that failed is never remembered as valid. Once the cache is full, a token enters on its second
 * verification (`SecondSightings`): storing it evicts another, and a token used once is never read
 * again, so it must not push out a token in use.
 *
 * In front of the LRU, each open connection remembers the last token verified on it (one per
 * connection, gone with the connection), so a kept-alive client that repeats its token costs a string
 * comparison instead of a hash. Those memos lapse with everything else: key set change, revocation,
 * `exp`/`nbf`.
 */
@Injectable()
export class VerifiedTokenCache {
  private readonly entries = new LRUCache<string, Entry>({ max: VERIFIED_TOKEN_CACHE_ENTRIES });
  /** Per connection, the last token verified on it; lapses when `generation` moves on. */
  private readonly lastOnConnection = new ConnectionTokenMemos();
  /** Tokens verified once while the cache was full, and not remembered, by lookup key. */
  private readonly sightings = new SecondSightings();
  /** Bumped whenever remembered tokens must be verified again (key set change, revocation). */
  private generation = 0;
  private readonly skewSeconds: number;
  /** The lookup counter's two series, counted as plain numbers (see HotCounter). */
  private readonly hits: HotSeries;
  private readonly misses: HotSeries;

  constructor(@Inject(APP_CONFIG) config: AppConfig, keys: JwksKeyStore, metrics: MetricsService) {
    this.skewSeconds = config.auth.clockSkewSeconds;
    const lookups = new HotCounter<'result'>();
    metrics.counter(
      'alphaswarm_verified_token_cache_total',
      'Lookups of the verified-token cache: hit (validation skipped) or miss',
      ['result'],
      [lookups],
    );
    this.hits = lookups.series('hit', (result) => ({ result }));
    this.misses = lookups.series('miss', (result) => ({ result }));
    keys.onKeySetChange(() => this.clear());
  }

  /**
   * The principal of a token verified before and still inside its `exp`/`nbf` window, or undefined.
   * The connection's last token is compared first: a client on a keep-alive connection sends the same
   * token again and again, and comparing strings costs a tenth of hashing one.
   */
  find(token: string, connection: object | null | undefined): Principal | undefined {
    const last = connection ? this.lastOnConnection.find(connection, token, this.generation) : undefined;
    if (last !== undefined && this.isCurrent(last)) {
      this.hits.count += 1;
      return last;
    }
    const lookupKey = lookupKeyOf(token);
    const entry = this.entries.get(lookupKey);
    // Another token under the same lookup key (a copied signature) misses, and leaves the entry alone.
    const principal = entry !== undefined && entry.digest === digestOf(token) ? entry.principal : undefined;
    if (!principal || !this.isCurrent(principal)) {
      // Outside its window the token takes the full path again, which names the exact reason.
      if (principal) this.entries.delete(lookupKey);
      this.misses.count += 1;
      return undefined;
    }
    this.hits.count += 1;
    // Without a socket (an injected request) there is no connection to remember it for.
    if (connection) this.lastOnConnection.note(connection, token, principal, this.generation);
    return principal;
  }

  /** Taken before a verification starts and handed to `remember` after it (see there). */
  get epoch(): number {
    return this.generation;
  }

  /**
   * Remembers a token that passed full validation (only such tokens: a failure is never stored), unless
   * the key set changed or a revocation came while it was being verified: that verification may have
   * used a key that is gone. While the cache has room, it takes every such token; once full, only one
   * verified before (admission). The connection's memo takes it at once either way, so a client that
   * repeats its token on a kept-alive connection is verified once.
   */
  remember(token: string, principal: Principal, connection: object | null | undefined, epoch: number): void {
    if (epoch !== this.generation) return;
    const remaining = ((principal.expiresAt ?? 0) + this.skewSeconds) * 1000 - Date.now();
    if (remaining <= 0) return;
    if (connection) this.lastOnConnection.note(connection, token, principal, this.generation);
    const lookupKey = lookupKeyOf(token);
    if (this.entries.size < this.entries.max || this.sightings.seenBefore(lookupKey)) {
      this.entries.set(lookupKey, { principal, digest: digestOf(token) }, { ttl: remaining });
    }
  }

  /** Empties the cache: every token is verified again (the issuer's key set changed). */
  clear(): void {
    this.generation += 1;
    this.entries.clear();
  }

  /** Drops every remembered token of one subject (called when their tokens are revoked). */
  forgetSubject(sub: string): void {
    this.forgetSubjects(new Set([sub]));
  }

  /** Drops every remembered token of these subjects, in one pass over the cache (a burst of revocations). */
  forgetSubjects(subjects: ReadonlySet<string>): void {
    // Connection memos of any subject lapse too; they are one token per connection, cheap to rebuild.
    this.generation += 1;
    for (const [lookupKey, entry] of this.entries.entries()) {
      if (subjects.has(entry.principal.sub)) this.entries.delete(lookupKey);
    }
  }

  private isCurrent(principal: Principal): boolean {
    const now = Date.now() / 1000;
    return (
      (principal.expiresAt ?? 0) + this.skewSeconds > now &&
      (principal.notBefore === undefined || principal.notBefore - this.skewSeconds <= now)
    );
  }

  get size(): number {
    return this.entries.size;
  }
}
