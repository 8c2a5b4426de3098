import { hash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import type { Counter } from 'prom-client';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
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
  /** The two series of the lookup counter, resolved once (no label hashing per request). */
  private readonly hits: Counter.Internal;
  private readonly misses: Counter.Internal;

  constructor(@Inject(APP_CONFIG) config: AppConfig, keys: JwksKeyStore, metrics: MetricsService) {
    this.skewSeconds = config.auth.clockSkewSeconds;
    const lookups = metrics.counter(
      'alphaswarm_verified_token_cache_total',
      'Lookups of the verified-token cache: hit (validation skipped) or miss',
      ['result'],
    );
    this.hits = lookups.labels({ result: 'hit' });
    this.misses = lookups.labels({ result: 'miss' });
    keys.onKeySetChange(() => this.entries.clear());
  }

  /** The cache key of a token: computed once per request and passed to `get` and `set`. */
  static keyOf(token: string): string {
    return hash('sha256', token, 'base64url');
  }

  get(id: string): Principal | undefined {
    const principal = this.entries.get(id);
    if (!principal) {
      this.misses.inc();
      return undefined;
    }
    const now = Date.now() / 1000;
    const expired = (principal.expiresAt ?? 0) + this.skewSeconds <= now;
    const early = principal.notBefore !== undefined && principal.notBefore - this.skewSeconds > now;
    if (expired) this.entries.delete(id);
    // Outside its window the token takes the full path again, which names the exact reason.
    (expired || early ? this.misses : this.hits).inc();
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
