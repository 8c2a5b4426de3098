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

  it('finds a remembered token under its own key whatever was missed in between', () => {
    // Misses leave nothing behind: each token is remembered under its own key, whatever came between.
    expect(cache.find('token-a', null)).toBeUndefined();
    expect(cache.find('token-b', null)).toBeUndefined();
    cache.remember('token-a', principalOf('alice'), null, cache.epoch);
    expect(cache.find('token-a', null)?.sub).toBe('alice');
    expect(cache.find('token-b', null)).toBeUndefined();
    cache.remember('token-b', principalOf('bob'), null, cache.epoch);
    expect(cache.find('token-b', null)?.sub).toBe('bob');
    expect(cache.find('token-a', null)?.sub).toBe('alice');
  });

  it('never answers a token that copies the end of a remembered token: the lookup key is not the token', () => {
    const signature = 'S'.repeat(330) + 'kX3-q9_ZrT0w';
    const remembered = `header.payload-of-alice.${signature}`;
    const forged = `header.payload-of-mallory.${signature}`;
    cache.remember(remembered, principalOf('alice'), null, cache.epoch);
    expect(cache.find(forged, null)).toBeUndefined();
    // The forged token's miss leaves the remembered one in place, and its verification (failed) adds nothing.
    expect(cache.find(remembered, null)?.sub).toBe('alice');
    expect(cache.size).toBe(1);
  });

  it('keeps two remembered tokens that share their last characters apart, the later one in the entry', () => {
    const end = 'kX3-q9_ZrT0w';
    cache.remember(`a.b.${end}`, principalOf('alice'), null, cache.epoch);
    cache.remember(`c.d.${end}`, principalOf('bob'), null, cache.epoch);
    expect(cache.find(`c.d.${end}`, null)?.sub).toBe('bob');
    // Verified again on its next use, never answered as bob.
    expect(cache.find(`a.b.${end}`, null)).toBeUndefined();
  });

  it('remembers a token that was never looked up', () => {
    cache.remember('token-c', principalOf('carol'), null, cache.epoch);
    expect(cache.find('token-c', null)?.sub).toBe('carol');
  });

  it('forgets everything when the key set changes, and keeps nothing verified across the change', () => {
    expect(cache.find('token-a', null)).toBeUndefined();
    const epoch = cache.epoch;
    cache.remember('token-a', principalOf('alice'), null, epoch);
    keys.change();
    expect(cache.find('token-a', null)).toBeUndefined();
    // A verification that started before the change is not remembered after it.
    cache.remember('token-a', principalOf('alice'), null, epoch);
    expect(cache.find('token-a', null)).toBeUndefined();
  });

  /** What the guard does on a miss: look the token up, verify it (here: given), remember it. */
  const verify = (token: string, sub: string, connection: object | null = null) => {
    expect(cache.find(token, connection)).toBeUndefined();
    cache.remember(token, principalOf(sub), connection, cache.epoch);
  };
  const fill = (prefix: string, count: number) => {
    for (let i = 0; i < count; i += 1) verify(`${prefix}-${i}`, `${prefix}-user-${i}`);
  };

  describe('once full', () => {
    it('takes a token on its second verification, not its first', () => {
      fill('earlier', VERIFIED_TOKEN_CACHE_ENTRIES);
      verify('token-a', 'alice');
      expect(cache.find('token-a', null)).toBeUndefined();
      verify('token-a', 'alice');
      expect(cache.find('token-a', null)?.sub).toBe('alice');
      expect(cache.size).toBe(VERIFIED_TOKEN_CACHE_ENTRIES);
    });

    it('keeps the tokens in use while a flood of tokens each used once passes through', () => {
      verify('token-a', 'alice');
      fill('one-shot', 3 * VERIFIED_TOKEN_CACHE_ENTRIES);
      expect(cache.find('token-a', null)?.sub).toBe('alice');
    });

    it('still answers a token verified once on its own connection, from the memo', () => {
      fill('earlier', VERIFIED_TOKEN_CACHE_ENTRIES);
      const connection = {};
      verify('token-a', 'alice', connection);
      expect(cache.find('token-a', connection)?.sub).toBe('alice');
      expect(cache.find('token-a', {})).toBeUndefined();
    });
  });

  it('answers from the connection memo and drops it with a revocation of its subject', () => {
    const connection = {};
    cache.remember('token-a', principalOf('alice'), connection, cache.epoch);
    expect(cache.find('token-a', connection)?.sub).toBe('alice');
    cache.forgetSubject('alice');
    expect(cache.find('token-a', connection)).toBeUndefined();
  });
});
