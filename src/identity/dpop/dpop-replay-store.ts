import { hash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type Redis from 'ioredis';
import { LRUCache } from 'lru-cache';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { REDIS } from '../../core/core.module';
import { RequestError } from '../../common/errors/request-error';
import { AuthError } from '../errors/auth-error';

/** Without Redis (development only) proofs are remembered in this process, up to this many. */
const IN_PROCESS_ENTRIES = 100_000;

/**
 * The proofs already used, shared by every instance through Redis. A proof is claimed with one atomic
 * `SET key 1 NX EX <window>`: the first request to claim it wins, every other gets `dpop_replay`, and
 * no read-then-write gap lets two instances both accept it. The entry expires when the proof could no
 * longer pass the `iat` check anyway (max age + skew on both sides), so the key count stays bounded by
 * the request rate times that window. Redis unreachable → 503: a replay check is never skipped.
 *
 * The key is the SHA-256 of the proof's `htu` and `jti`: the same `jti` sent to two different URLs is
 * two proofs (each was signed for its own URL), and hashing keeps the client's arbitrary `jti` out of
 * Redis key names. See docs/adr/0012-dpop-replay-and-nonces.md.
 */
@Injectable()
export class DpopReplayStore {
  private readonly prefix: string;
  private readonly ttlSeconds: number;
  private readonly local?: LRUCache<string, true>;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(REDIS) private readonly redis: Redis | null,
  ) {
    const { proofMaxAgeSeconds, clockSkewSeconds } = config.auth.dpop;
    this.prefix = `${config.jobs.queuePrefix}:dpop:jti:`;
    this.ttlSeconds = proofMaxAgeSeconds + 2 * clockSkewSeconds;
    // REDIS_URL is required in production; without it a single development process keeps its own list
    // (lru-cache sizes its arrays up front, so only when DPoP is on).
    if (!redis && config.auth.dpop.enabled) {
      this.local = new LRUCache({ max: IN_PROCESS_ENTRIES, ttl: this.ttlSeconds * 1000 });
    }
  }

  /** How long a used proof is remembered. */
  get windowSeconds(): number {
    return this.ttlSeconds;
  }

  /** The Redis key of a proof (tests count these). */
  keyOf(htu: string, jti: string): string {
    return `${this.prefix}${hash('sha256', `${htu}\n${jti}`, 'base64url')}`;
  }

  /** Marks the proof used, or throws `dpop_replay` if it was used before (on any instance). */
  async claim(htu: string, jti: string): Promise<void> {
    const key = this.keyOf(htu, jti);
    if (!this.redis) {
      if (!this.local) throw new AuthError('invalid_dpop_proof'); // DPoP is off: nothing to claim against
      if (this.local.has(key)) throw new AuthError('dpop_replay');
      this.local.set(key, true);
      return;
    }
    let stored: string | null;
    try {
      stored = await this.redis.set(key, '1', 'EX', this.ttlSeconds, 'NX');
    } catch {
      throw new RequestError(
        'service_unavailable',
        503,
        'DPoP proofs cannot be checked for replay right now; retry later',
      );
    }
    if (stored !== 'OK') throw new AuthError('dpop_replay');
  }
}
