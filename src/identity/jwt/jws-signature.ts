import { constants, type KeyObject, verify } from 'node:crypto';
import type { SigningAlgorithm } from '../../config/app-config';

interface AlgorithmParameters {
  /** `null` for EdDSA, whose signature scheme hashes internally (RFC 8032). */
  readonly digest: 'sha256' | 'sha384' | 'sha512' | null;
  /** The key types that may verify it (`KeyObject.asymmetricKeyType`). */
  readonly keyTypes: readonly string[];
  /** ES*: the one curve of the algorithm (RFC 7518 §3.4), as Node names it. */
  readonly curve?: string;
  readonly pss?: true;
}

/*
 * RFC 7518 §3: what each accepted JWS algorithm means to node:crypto. The cryptography is Node's
 * (OpenSSL); this table only names the digest, padding and signature encoding of each algorithm.
 */
const ALGORITHMS: Readonly<Record<SigningAlgorithm, AlgorithmParameters>> = {
  RS256: { digest: 'sha256', keyTypes: ['rsa'] },
  RS384: { digest: 'sha384', keyTypes: ['rsa'] },
  RS512: { digest: 'sha512', keyTypes: ['rsa'] },
  PS256: { digest: 'sha256', keyTypes: ['rsa', 'rsa-pss'], pss: true },
  PS384: { digest: 'sha384', keyTypes: ['rsa', 'rsa-pss'], pss: true },
  PS512: { digest: 'sha512', keyTypes: ['rsa', 'rsa-pss'], pss: true },
  ES256: { digest: 'sha256', keyTypes: ['ec'], curve: 'prime256v1' },
  ES384: { digest: 'sha384', keyTypes: ['ec'], curve: 'secp384r1' },
  ES512: { digest: 'sha512', keyTypes: ['ec'], curve: 'secp521r1' },
  // RFC 8037: Ed25519 or Ed448, told apart by the key itself.
  EdDSA: { digest: null, keyTypes: ['ed25519', 'ed448'] },
};

/** Whether `key` is of the kind `alg` is defined for (an RSA key never checks an ES256 signature). */
export function keySuits(alg: SigningAlgorithm, key: KeyObject): boolean {
  const parameters = ALGORITHMS[alg];
  if (!parameters.keyTypes.includes(key.asymmetricKeyType ?? '')) return false;
  return parameters.curve === undefined || key.asymmetricKeyDetails?.namedCurve === parameters.curve;
}

/**
 * Checks a JWS signature over the exact signing input (`<header>.<payload>` as sent) with an imported
 * key. ECDSA signatures are the fixed-length `r || s` of RFC 7518 §3.4, not DER; RSASSA-PSS uses a salt
 * as long as the digest (§3.5). The caller has checked `keySuits` first.
 */
export function signatureVerifies(
  alg: SigningAlgorithm,
  key: KeyObject,
  signingInput: string,
  signature: Buffer,
): boolean {
  const parameters = ALGORITHMS[alg];
  const data = Buffer.from(signingInput, 'latin1');
  if (parameters.curve !== undefined) {
    return verify(parameters.digest, data, { key, dsaEncoding: 'ieee-p1363' }, signature);
  }
  if (parameters.pss) {
    return verify(
      parameters.digest,
      data,
      { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST },
      signature,
    );
  }
  return verify(parameters.digest, data, key, signature);
}
