import { randomBytes } from 'node:crypto';
import { type AppConfig, ConfigError } from '../../config/app-config';
import { parseKekSet } from '../../config/kek-set';
import { MetricsService } from '../../observability/metrics.service';
import { open, seal, SealError } from './aes-gcm';
import { CredentialCipher, type SecretBinding } from './credential-cipher';
import { LocalKeyring } from './local-keyring';

const keyText = () => randomBytes(32).toString('base64');
const aad = Buffer.from('org-1\0record-1');

describe('AES-256-GCM seal', () => {
  const key = randomBytes(32);

  it('opens what it sealed under the same key and associated data', () => {
    expect(open(key, seal(key, Buffer.from('secret'), aad), aad).toString()).toBe('secret');
  });

  it('uses a fresh IV each time, so equal plaintexts seal differently', () => {
    expect(seal(key, Buffer.from('same'), aad).equals(seal(key, Buffer.from('same'), aad))).toBe(false);
  });

  it('refuses other associated data, another key, a flipped bit and a truncated blob', () => {
    const blob = seal(key, Buffer.from('secret'), aad);
    const flipped = Buffer.from(blob);
    flipped[flipped.length - 1] ^= 1;
    expect(() => open(key, blob, Buffer.from('org-2\0record-1'))).toThrow(SealError);
    expect(() => open(randomBytes(32), blob, aad)).toThrow(SealError);
    expect(() => open(key, flipped, aad)).toThrow(SealError);
    expect(() => open(key, blob.subarray(0, 20), aad)).toThrow(SealError);
  });
});

describe(parseKekSet.name, () => {
  const refusal = (text: string): string => {
    try {
      parseKekSet('ALPHASWARM_CREDENTIALS_KEKS', text);
    } catch (error) {
      if (error instanceof ConfigError) return error.message;
    }
    throw new Error('accepted');
  };

  it('reads ids and keys, the first entry active, from CSV or lines', () => {
    const set = parseKekSet('V', `k2:${keyText()}\n# retired soon\nk1:${keyText()}`);
    expect([set.active.id, set.keys.map((kek) => kek.id)]).toEqual(['k2', ['k2', 'k1']]);
    expect(parseKekSet('V', `a:${keyText()}, b:${keyText()}`).keys).toHaveLength(2);
  });

  it('refuses an empty list, a missing id, a short key, bad base64 and a repeated id, in one line', () => {
    const short = randomBytes(16).toString('base64');
    const key = keyText();
    for (const text of ['', ` , `, key, `k1:${short}`, 'k1:not base64!', `k1:${key},k1:${keyText()}`]) {
      const message = refusal(text);
      expect(message).toMatch(/^ALPHASWARM_CREDENTIALS_KEKS: /);
      expect(message).not.toContain('\n');
      expect(message).not.toContain(key);
    }
  });
});

describe(LocalKeyring.name, () => {
  const [k1, k2] = [`k1:${keyText()}`, `k2:${keyText()}`];

  it('unwraps with an older key what that key wrapped, and wraps new keys under the active one', async () => {
    const old = new LocalKeyring(parseKekSet('V', k1));
    const wrapped = await old.wrap(Buffer.from('data key'), aad);
    const rotated = new LocalKeyring(parseKekSet('V', `${k2},${k1}`));
    expect((await rotated.unwrap(wrapped, aad)).toString()).toBe('data key');
    expect((await rotated.wrap(Buffer.from('x'), aad)).kekId).toBe('k2');
  });

  it('refuses an unknown key id, another context and a relabelled key id', async () => {
    const ring = new LocalKeyring(parseKekSet('V', `${k2},${k1}`));
    const wrapped = await ring.wrap(Buffer.from('data key'), aad);
    await expect(ring.unwrap(wrapped, Buffer.from('other'))).rejects.toThrow(SealError);
    await expect(ring.unwrap({ ...wrapped, kekId: 'k1' }, aad)).rejects.toThrow(SealError);
    const stranger = new LocalKeyring(parseKekSet('V', `k3:${keyText()}`));
    await expect(stranger.unwrap(wrapped, aad)).rejects.toThrow(SealError);
  });
});

describe(CredentialCipher.name, () => {
  const binding: SecretBinding = {
    purpose: 'broker_credential',
    ownerId: '00000000-0000-4000-8000-000000000001',
    recordId: '00000000-0000-4000-8000-0000000000aa',
    kind: 'alpaca',
  };
  const configWith = (dataKeyCacheSize: number) =>
    ({ credentials: { dataKeyCacheSize } }) as unknown as AppConfig;
  const cipherOf = (keks: string, cacheSize = 100) => {
    const metrics = new MetricsService();
    const cipher = new CredentialCipher(
      new LocalKeyring(parseKekSet('V', keks)),
      configWith(cacheSize),
      metrics,
    );
    const unwraps = async () =>
      (await metrics.registry.getSingleMetric('alphaswarm_credentials_data_key_unwraps_total')?.get())
        ?.values[0]?.value ?? 0;
    return { cipher, unwraps };
  };
  const k1 = `k1:${keyText()}`;

  it('opens a sealed secret as the same record, and never as another organization, record or kind', async () => {
    const { cipher } = cipherOf(k1);
    const { sealed } = await cipher.seal(binding, { key_id: 'PKABCDEF', secret_key: 's3cr3t' });
    expect(await cipher.open(binding, sealed)).toEqual({ key_id: 'PKABCDEF', secret_key: 's3cr3t' });
    for (const other of [
      { ...binding, ownerId: '00000000-0000-4000-8000-000000000002' },
      { ...binding, recordId: '00000000-0000-4000-8000-0000000000bb' },
      { ...binding, kind: 'generic' },
      { ...binding, purpose: 'oauth_connection' as const },
    ]) {
      await expect(cipher.open(other, sealed)).rejects.toThrow(SealError);
    }
  });

  it('keeps the plaintext out of what it stores', async () => {
    const { cipher } = cipherOf(k1);
    const { sealed } = await cipher.seal(binding, { secret_key: 'PLAINTEXT-MARKER-123' });
    const stored = Buffer.concat([sealed.wrappedKey, sealed.ciphertext]).toString('latin1');
    expect(stored).not.toContain('PLAINTEXT-MARKER-123');
  });

  it('fingerprints a secret per record: stable for it, different for another record with the same value', async () => {
    const { cipher } = cipherOf(k1);
    const fields = { secret_key: 'same value' };
    const a = await cipher.seal(binding, fields);
    const b = await cipher.seal({ ...binding, recordId: '00000000-0000-4000-8000-0000000000cc' }, fields);
    expect(a.fingerprint).toMatch(/^fp_[0-9a-f]{16}$/);
    expect(a.fingerprint).not.toBe(b.fingerprint);
  });

  it('does not unwrap with the key-encryption key on a warm open; does on every open without a cache', async () => {
    const warm = cipherOf(k1);
    const { sealed } = await warm.cipher.seal(binding, { secret_key: 'x' });
    warm.cipher.forgetDataKeys();
    for (let i = 0; i < 5; i += 1) await warm.cipher.open(binding, sealed);
    expect(await warm.unwraps()).toBe(1);

    const cold = cipherOf(k1, 0);
    const stored = (await cold.cipher.seal(binding, { secret_key: 'x' })).sealed;
    for (let i = 0; i < 5; i += 1) await cold.cipher.open(binding, stored);
    expect(await cold.unwraps()).toBe(5);
  });

  it('re-wraps under the active key without touching the ciphertext; the old key is then not needed', async () => {
    const k2 = `k2:${keyText()}`;
    const { sealed } = await cipherOf(k1).cipher.seal(binding, { secret_key: 'x' });
    const { cipher } = cipherOf(`${k2},${k1}`);
    const rewrapped = await cipher.rewrap(binding, sealed);
    expect(rewrapped?.kekId).toBe('k2');
    expect(rewrapped?.ciphertext.equals(sealed.ciphertext)).toBe(true);
    expect(await cipher.rewrap(binding, rewrapped!)).toBeUndefined();
    expect(await cipherOf(k2).cipher.open(binding, rewrapped!)).toEqual({ secret_key: 'x' });
  });
});
