import { hash, KeyObject } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { calculateJwkThumbprint, importJWK, type JWK } from 'jose';
import { LRUCache } from 'lru-cache';
import { APP_CONFIG, type AppConfig, type DpopConfig, type SigningAlgorithm } from '../../config/app-config';
import { AuthError } from '../errors/auth-error';
import { keySuits, signatureVerifies } from '../jwt/jws-signature';
import { base64urlBytes, decodeJsonSegment } from '../jwt/strict-json';
import { normalizeHtu } from './htu';

/** Longer than any honest proof (an RSA-4096 `jwk` and a long `jti` stay under 2 KiB). */
export const MAX_PROOF_LENGTH = 8192;
const PROOF_TYPE = 'dpop+jwt';
/** Members only a private or symmetric JWK has (RFC 7518 §6): a proof carries a public key. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
/** Public key material per key type: exactly the members RFC 7638 hashes into the thumbprint. */
const PUBLIC_MEMBERS: Record<string, readonly string[]> = {
  EC: ['kty', 'crv', 'x', 'y'],
  OKP: ['kty', 'crv', 'x'],
  RSA: ['kty', 'e', 'n'],
};
/**
 * Proof headers already checked, with their imported key and its thumbprint. A client sends the same
 * protected header (`alg`, `typ`, its `jwk`) with every proof, so the checks, the thumbprint and the key
 * import run once per client key, not once per request; the signature is still verified every time.
 */
const HEADER_CACHE_ENTRIES = 10_000;

interface CheckedHeader {
  readonly alg: SigningAlgorithm;
  readonly key: KeyObject;
  readonly jkt: string;
}

/** What the request says the proof must match. */
export interface ProofExpectation {
  readonly method: string;
  /** The request URL as clients call it (configured origin + path), normalised; see `htuOf`. */
  readonly htu: string;
  /** The access token the proof accompanies; its hash must be the proof's `ath`. Absent at the token endpoint. */
  readonly accessToken?: string;
}

/** A proof that passed every stateless check; its `jti` has not been checked for replay yet. */
export interface VerifiedProof {
  /** RFC 7638 SHA-256 thumbprint of the proof's key: what a bound token's `cnf.jkt` must equal. */
  readonly jkt: string;
  readonly jti: string;
  readonly nonce?: string;
}

/**
 * RFC 9449 §4.3 checks of a DPoP proof that need no shared state: a well-formed JWT of type `dpop+jwt`,
 * an asymmetric algorithm from the allow-list, a signature by the public key in its own `jwk` header
 * (which carries no private members), `htm` and `htu` matching the request, a fresh `iat`, a bounded
 * `jti`, and `ath` matching the access token. A proof is read like an access token (ADR 0016): the
 * service's strict decoder (no byte-order mark, no repeated member), and the signature checked with
 * node:crypto over the exact signing input; jose imports the `jwk` and computes its RFC 7638
 * thumbprint. Nothing here is hand-written cryptography. Every failure is `invalid_dpop_proof`.
 */
@Injectable()
export class DpopProofVerifier {
  private readonly dpop: DpopConfig;
  private readonly algorithms: ReadonlySet<string>;
  /** Keyed by the protected header exactly as sent (its base64url segment). */
  private readonly headers = new LRUCache<string, CheckedHeader>({ max: HEADER_CACHE_ENTRIES });

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.dpop = config.auth.dpop;
    this.algorithms = new Set(config.auth.dpop.algorithms);
  }

  async verify(proof: string, expected: ProofExpectation): Promise<VerifiedProof> {
    if (proof.length === 0 || proof.length > MAX_PROOF_LENGTH) throw invalidProof();
    const firstDot = proof.indexOf('.');
    const secondDot = proof.indexOf('.', firstDot + 1);
    if (firstDot <= 0 || secondDot <= firstDot || proof.includes('.', secondDot + 1)) throw invalidProof();
    const segment = proof.slice(0, firstDot);
    // A header seen before needs only its key; a new one is checked (and remembered) on the way.
    let checked = this.headers.get(segment);
    if (checked === undefined) {
      checked = await this.checkHeader(decodeJsonSegment(segment));
      this.headers.set(segment, checked);
    }
    const claims = decodeJsonSegment(proof.slice(firstDot + 1, secondDot));
    const signature = base64urlBytes(proof.slice(secondDot + 1));
    if (claims === undefined || signature === undefined) throw invalidProof();
    // Synchronous on purpose: jose's Node build verifies on the libuv threadpool, and that handoff cost
    // more than the ECDSA check itself on a busy core (ADR 0016).
    if (!verifiesOver(checked, proof.slice(0, secondDot), signature)) {
      throw invalidProof();
    }
    return { jkt: checked.jkt, ...this.checkClaims(claims, expected) };
  }

  /**
   * The header checks (RFC 9449 §4.3 checks 2–5): `typ` is `dpop+jwt` (an access token or an ID token
   * stops here); `alg` is on the allow-list (never `none`, never HMAC); no `crit` extension, which we
   * implement none of (RFC 7515 §4.1.11); and `jwk` is a public key — no private or symmetric members —
   * of a known type, imported from exactly the members its thumbprint covers, that suits `alg`.
   */
  private async checkHeader(header: Record<string, unknown> | undefined): Promise<CheckedHeader> {
    if (header === undefined || header.typ !== PROOF_TYPE || header.crit !== undefined) throw invalidProof();
    const alg = header.alg;
    if (typeof alg !== 'string' || !this.algorithms.has(alg)) throw invalidProof();
    const jwk = header.jwk;
    if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) throw invalidProof();
    const members = jwk as Record<string, unknown>;
    if (PRIVATE_MEMBERS.some((member) => member in members)) throw invalidProof();
    const names = typeof members.kty === 'string' ? PUBLIC_MEMBERS[members.kty] : undefined;
    if (!names) throw invalidProof();
    const picked: Record<string, string> = {};
    for (const name of names) {
      const value = members[name];
      if (typeof value !== 'string') throw invalidProof();
      picked[name] = value;
    }
    const publicJwk = picked as unknown as JWK;
    const key = await importJWK(publicJwk, alg).catch(() => undefined);
    if (!(key instanceof KeyObject) || !keySuits(alg as SigningAlgorithm, key)) throw invalidProof();
    // Total like every check here: whatever jose refuses is an invalid proof, never a 500.
    const jkt = await calculateJwkThumbprint(publicJwk, 'sha256').catch(() => undefined);
    if (jkt === undefined) throw invalidProof();
    return { alg: alg as SigningAlgorithm, key, jkt };
  }

  private checkClaims(
    payload: Record<string, unknown>,
    expected: ProofExpectation,
  ): { jti: string; nonce?: string } {
    const { jti, htm, htu, iat, ath, nonce } = payload;
    if (typeof jti !== 'string' || jti.length === 0 || jti.length > this.dpop.jtiMaxLength) {
      throw invalidProof();
    }
    if (htm !== expected.method) throw invalidProof();
    // `expected.htu` is normalised: the same string needs no parsing (the common case), any other is
    // normalised before it is compared.
    if (typeof htu !== 'string' || (htu !== expected.htu && normalizeHtu(htu) !== expected.htu)) {
      throw invalidProof();
    }
    const now = Date.now() / 1000;
    const { proofMaxAgeSeconds: maxAge, clockSkewSeconds: skew } = this.dpop;
    if (typeof iat !== 'number' || !(iat >= now - maxAge - skew && iat <= now + skew)) throw invalidProof();
    if (expected.accessToken !== undefined && ath !== accessTokenHash(expected.accessToken)) {
      throw invalidProof();
    }
    if (nonce !== undefined && typeof nonce !== 'string') throw invalidProof();
    return { jti, nonce };
  }
}

/** node:crypto refuses some malformed signatures by throwing rather than answering false: both refuse. */
function verifiesOver(checked: CheckedHeader, signingInput: string, signature: Buffer): boolean {
  try {
    return signatureVerifies(checked.alg, checked.key, signingInput, signature);
  } catch {
    return false;
  }
}

/** RFC 9449 §4.2 `ath`: the base64url SHA-256 of the access token's ASCII bytes. */
export function accessTokenHash(accessToken: string): string {
  return hash('sha256', accessToken, 'base64url');
}

function invalidProof(): AuthError {
  return new AuthError('invalid_dpop_proof');
}
