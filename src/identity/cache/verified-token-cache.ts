import { hash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { HotCounter, type HotSeries } from '../../observability/hot-counter';
import { MetricsService } from '../../observability/metrics.service';
import { JwksKeyStore } from '../jwt/jwks-key-store';
import type { Principal } from '../principal';

/** At most this many verified tokens are remembered (about 1 KiB each: ~10 MiB at the cap). */
export const VERIFIED_TOKEN_CACHE_ENTRIES = 10_000;

/**
 * Tokens that passed full validation, keyed by the SHA-256 of the token string, so a token seen again
 * skips signature and claim validation — and nothing else: scope, step-up, MCP audience and DPoP checks
 * run on every request. `exp` and `nbf` are re-checked on every hit; entries leave at expiry, when the
 * issuer's key set changes (a removed key must stop verifying at once), and when a subject's tokens are
 * revoked. Only successes are stored: a token that failed is never remembered as valid.
 */
@Injectable()
export class VerifiedTokenCache {
  private readonly entries = new LRUCache<string, Principal>({ max: VERIFIED_TOKEN_CACHE_ENTRIES });
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
    keys.onKeySetChange(() => this.entries.clear());
  }

  /** The cache key of a token: computed once per request and passed to `get` and `set`. */
  static keyOf(token: string): string {
    return hash('sha256', token, 'base64url');
  }

  get(id: string): Principal | undefined {
    const principal = this.entries.get(id);
    if (!principal) {
      this.misses.count += 1;
      return undefined;
    }
    const now = Date.now() / 1000;
    const expired = (principal.expiresAt ?? 0) + this.skewSeconds <= now;
    const early = principal.notBefore !== undefined && principal.notBefore - this.skewSeconds > now;
    if (expired) this.entries.delete(id);
    // Outside its window the token takes the full path again, which names the exact reason.
    (expired || early ? this.misses : this.hits).count += 1;
    return expired || early ? undefined : principal;
  }

  set(id: string, principal: Principal): void {
    const remaining = ((principal.expiresAt ?? 0) + this.skewSeconds) * 1000 - Date.now();
    if (remaining <= 0) return;
    this.entries.set(id, principal, { ttl: remaining });
  }

  /** Drops every remembered token of one subject (called when their tokens are revoked). */
  forgetSubject(sub: string): void {
    for (const [id, principal] of this.entries.entries()) {
      if (principal.sub === sub) this.entries.delete(id);
    }
  }

  get size(): number {
    return this.entries.size;
  }
}
