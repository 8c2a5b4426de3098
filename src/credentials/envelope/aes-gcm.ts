import { createCipheriv, createDecipheriv, type KeyObject, randomBytes } from 'node:crypto';

/** The layout version of a sealed blob: `version ‖ iv (12) ‖ tag (16) ‖ ciphertext`. */
const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = 1 + IV_BYTES + TAG_BYTES;

/** A blob that does not open under this key and associated data: tampered, moved, or another key. */
export class SealError extends Error {
  constructor() {
    super('the sealed value does not open under this key and binding');
    this.name = 'SealError';
  }
}

/**
 * AES-256-GCM with a fresh 96-bit IV per call (NIST SP 800-38D: random IVs are safe far beyond the
 * number of seals one key ever makes here, since every record has its own data key). `aad` is
 * authenticated, not stored: opening needs the same bytes.
 */
export function seal(key: KeyObject | Buffer, plaintext: Buffer, aad: Buffer): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([Buffer.of(VERSION), iv, cipher.getAuthTag(), ciphertext]);
}

/** The plaintext of a `seal` output, or `SealError` when anything about it is wrong. */
export function open(key: KeyObject | Buffer, blob: Buffer, aad: Buffer): Buffer {
  if (blob.length < HEADER_BYTES || blob[0] !== VERSION) throw new SealError();
  const iv = blob.subarray(1, 1 + IV_BYTES);
  const tag = blob.subarray(1 + IV_BYTES, HEADER_BYTES);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(aad);
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(blob.subarray(HEADER_BYTES)), decipher.final()]);
  } catch {
    throw new SealError();
  }
}
