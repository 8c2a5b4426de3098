import { createPublicKey, type KeyObject } from 'node:crypto';
import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { JwksClient, type SigningKey } from 'jwks-rsa';
import type { Counter } from 'prom-client';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { MetricsService } from '../../observability/metrics.service';
import { AuthError } from '../errors/auth-error';

/** At most this many JWKS fetches a minute, whatever tokens arrive (an unknown `kid` triggers one). */
export const JWKS_FETCHES_PER_MINUTE = 10;
/** A JWKS fetch that takes longer fails: a slow IdP must not hold requests. */
export const JWKS_FETCH_TIMEOUT_MS = 5000;
/** How long a key fetched from the JWKS is used before it is fetched again. */
export const JWKS_CACHE_MAX_AGE_MS = 10 * 60_000;

class JwksFetchError extends Error {}

export interface JwksStatus {
  readonly warm: boolean;
  readonly uri: string;
  readonly lastFetchAt?: string;
  readonly lastError?: string;
}

/**
 * Signing keys of the configured issuer, from its JWKS only: keys named by a token (`jku`, `x5u`, `jwk`,
 * `x5c`) are never fetched or used. jwks-rsa caches and rate-limits; this class adds a validating fetcher
 * (timeout, shape, no private members), readiness, metrics, and one parsed `KeyObject` per key so the
 * verifier never re-parses a PEM on the hot path.
 */
@Injectable()
export class JwksKeyStore implements OnApplicationShutdown {
  private readonly logger = new Logger(JwksKeyStore.name);
  private readonly client: JwksClient;
  private readonly keyObjects = new WeakMap<SigningKey, KeyObject>();
  private readonly fetches: Counter<'outcome'>;
  private lastFetchAt?: Date;
  private lastError?: string;
  private warmTimer?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    metrics: MetricsService,
  ) {
    this.fetches = metrics.counter('alphaswarm_jwks_fetches_total', 'JWKS fetches by outcome', ['outcome']);
    this.client = new JwksClient({
      jwksUri: config.auth.jwksUri,
      cache: true,
      cacheMaxEntries: 32,
      cacheMaxAge: JWKS_CACHE_MAX_AGE_MS,
      rateLimit: true,
      jwksRequestsPerMinute: JWKS_FETCHES_PER_MINUTE,
      timeout: JWKS_FETCH_TIMEOUT_MS,
      fetcher: (uri: string) => this.fetchJwks(uri),
    });
  }

  /** The verification key for a token's `kid`, or an AuthError naming why there is none. */
  async keyFor(kid: string | undefined): Promise<KeyObject> {
    let signingKey: SigningKey;
    try {
      signingKey = await this.client.getSigningKey(kid);
    } catch (error) {
      throw new AuthError(error instanceof JwksFetchError ? 'jwks_unreachable' : 'no_matching_key');
    }
    let key = this.keyObjects.get(signingKey);
    if (!key) {
      key = createPublicKey(signingKey.getPublicKey());
      this.keyObjects.set(signingKey, key);
    }
    return key;
  }

  status(): JwksStatus {
    return {
      warm: this.lastFetchAt !== undefined,
      uri: this.config.auth.jwksUri,
      lastFetchAt: this.lastFetchAt?.toISOString(),
      lastError: this.lastError,
    };
  }

  /**
   * Fetches the JWKS in the background until one fetch succeeds, backing off from 250 ms to 30 s, so a
   * process booted while the IdP is down becomes ready without a restart.
   */
  startWarming(): void {
    let delay = 250;
    const attempt = async (): Promise<void> => {
      if (this.stopped) return;
      try {
        await this.client.getSigningKeys();
        return;
      } catch {
        // recorded by fetchJwks; try again below
      }
      if (this.stopped) return;
      this.warmTimer = setTimeout(() => void attempt(), delay);
      this.warmTimer.unref();
      delay = Math.min(delay * 2, 30_000);
    };
    void attempt();
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    clearTimeout(this.warmTimer);
  }

  private async fetchJwks(uri: string): Promise<{ keys: Record<string, unknown>[] }> {
    try {
      const response = await fetch(uri, {
        headers: { accept: 'application/json' },
        redirect: 'error',
        signal: AbortSignal.timeout(JWKS_FETCH_TIMEOUT_MS),
      });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const body = await response.json();
      const keys = (body as { keys?: unknown } | null)?.keys;
      if (!Array.isArray(keys)) throw new Error('the response is not a JWKS');
      // A JWKS entry carrying private members is a misconfigured IdP: never use such a key.
      const publicKeys = keys.filter(
        (key): key is Record<string, unknown> => typeof key === 'object' && key !== null && !('d' in key),
      );
      this.lastFetchAt = new Date();
      this.lastError = undefined;
      this.fetches.inc({ outcome: 'ok' });
      return { keys: publicKeys };
    } catch (error) {
      this.lastError = error instanceof Error ? error.message : String(error);
      this.fetches.inc({ outcome: 'error' });
      this.logger.warn(`JWKS fetch from ${uri} failed: ${this.lastError}`);
      throw new JwksFetchError(this.lastError);
    }
  }
}
