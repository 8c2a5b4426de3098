/** A data key as stored: wrapped (encrypted) under the key-encryption key named by `kekId`. */
export interface WrappedDataKey {
  readonly kekId: string;
  readonly wrapped: Buffer;
}

/**
 * Wraps and unwraps data keys under key-encryption keys (KEKs). The KEK never leaves the implementation:
 * the local keyring holds it in memory; a KMS or Vault implementation sends the data key to the KMS's
 * Encrypt/Decrypt (or Vault transit's encrypt/decrypt) with `context` as the encryption context, and
 * the KEK stays in the KMS. See docs/credentials.md, "Keys and the KMS seam".
 *
 * `context` binds the wrapped key to its record: unwrapping under another context fails.
 */
export interface KeyWrapper {
  /** The KEK new data keys are wrapped under. */
  readonly activeKekId: string;
  /** Whether `kekId` can unwrap (the active key or a retiring one). */
  knows(kekId: string): boolean;
  wrap(dataKey: Buffer, context: Buffer): Promise<WrappedDataKey>;
  /** Throws `SealError` when the wrapped key does not open (unknown KEK, tampered, other context). */
  unwrap(key: WrappedDataKey, context: Buffer): Promise<Buffer>;
}

/** Injection token of the KeyWrapper. */
export const KEY_WRAPPER = Symbol('KEY_WRAPPER');
