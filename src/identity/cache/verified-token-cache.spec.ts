import { loadConfig } from '../../config/app-config';
import { MetricsService } from '../../observability/metrics.service';
import type { JwksKeyStore } from '../jwt/jwks-key-store';
import type { Principal } from '../principal';
import { VERIFIED_TOKEN_CACHE_ENTRIES, VerifiedTokenCache } from './verified-token-cache';

/** Only what the cache asks of the key store: to be told when the key set changes. */
class KeySetChanges {
  private readonly listeners: (() => void)[] = [];
  onKeySetChange(listener: () => void): void {
    this.listeners.push(listener);
  }
  change(): void {
    for (const listener of this.listeners) listener();
  }
}

const principalOf = (sub: string): Principal =>
  ({ sub, expiresAt: Math.floor(Date.now() / 1000) + 600 }) as unknown as Principal;

describe(VerifiedTokenCache.name, () => {
  let keys: KeySetChanges;
  let cache: VerifiedTokenCache;
  beforeEach(() => {
    keys = new KeySetChanges();
    cache = new VerifiedTokenCache(loadConfig({}), keys as unknown as JwksKeyStore, new MetricsService());
  });

  /** What the guard does on a miss: look the token up, verify it (here: given), remember it. */
  const verify = (token: string, sub: string, connection: object | null = null) => {
    expect(cache.find(token, connection)).toBeUndefined();
    cache.remember(token, principalOf(sub), connection, cache.epoch);
  };

  it('keeps a token verified once out of the cache, and answers it from there after its second verification', () => {
    verify('token-a', 'alice');
    expect(cache.find('token-a', null)).toBeUndefined();
    expect(cache.size).toBe(0);
    verify('token-a', 'alice');
    expect(cache.find('token-a', null)?.sub).toBe('alice');
    expect(cache.size).toBe(1);
  });

  it('finds a remembered token under its own key whatever was missed in between', () => {
    // A miss notes its token's key for the `remember` that follows it; other misses may come first.
    for (let round = 0; round < 2; round += 1) {
      expect(cache.find('token-a', null)).toBeUndefined();
      expect(cache.find('token-b', null)).toBeUndefined();
      cache.remember('token-a', principalOf('alice'), null, cache.epoch);
      cache.remember('token-b', principalOf('bob'), null, cache.epoch);
    }
    expect(cache.find('token-b', null)?.sub).toBe('bob');
    expect(cache.find('token-a', null)?.sub).toBe('alice');
  });

  it('remembers a token that was never looked up', () => {
    cache.remember('token-c', principalOf('carol'), null, cache.epoch);
    cache.remember('token-c', principalOf('carol'), null, cache.epoch);
    expect(cache.find('token-c', null)?.sub).toBe('carol');
  });

  it('forgets everything when the key set changes, and keeps nothing verified across the change', () => {
    const epoch = cache.epoch;
    verify('token-a', 'alice');
    verify('token-a', 'alice');
    keys.change();
    expect(cache.find('token-a', null)).toBeUndefined();
    // A verification that started before the change is not remembered after it, however often.
    cache.remember('token-a', principalOf('alice'), null, epoch);
    cache.remember('token-a', principalOf('alice'), null, epoch);
    expect(cache.find('token-a', null)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('answers a token verified once on its own connection, from the memo, and drops it with a revocation of its subject', () => {
    const connection = {};
    verify('token-a', 'alice', connection);
    expect(cache.find('token-a', connection)?.sub).toBe('alice');
    expect(cache.find('token-a', {})).toBeUndefined();
    cache.forgetSubject('alice');
    expect(cache.find('token-a', connection)).toBeUndefined();
  });

  it('keeps the tokens in use when a flood of tokens each used once passes through', () => {
    verify('token-a', 'alice');
    verify('token-a', 'alice');
    for (let i = 0; i < VERIFIED_TOKEN_CACHE_ENTRIES + 1; i += 1) verify(`one-shot-${i}`, `user-${i}`);
    expect(cache.find('token-a', null)?.sub).toBe('alice');
    expect(cache.size).toBe(1);
  });
});
