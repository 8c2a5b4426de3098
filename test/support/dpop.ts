import { createHash, randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK, type KeyLike, SignJWT } from 'jose';

export interface ProofOptions {
  /** The access token the proof accompanies (`ath`); omit at the token endpoint. */
  accessToken?: string;
  nonce?: string;
  /** Claims laid over the honest ones (`undefined` removes one). */
  claims?: Record<string, unknown>;
  /** Protected-header members laid over `{ alg, typ, jwk }`. */
  header?: Record<string, unknown>;
}

/**
 * A DPoP client (RFC 9449) that holds its private key, as a CLI or SPA would: it makes proofs with jose
 * for each request. Attack proofs are built from the same parts with one member changed.
 */
export class DpopClient {
  private constructor(
    readonly alg: string,
    readonly privateKey: KeyLike,
    readonly publicJwk: JWK,
    /** RFC 7638 thumbprint of the key: what a bound token's `cnf.jkt` holds. */
    readonly jkt: string,
  ) {}

  static async create(alg = 'ES256'): Promise<DpopClient> {
    const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
    const publicJwk = await exportJWK(publicKey);
    return new DpopClient(alg, privateKey, publicJwk, await calculateJwkThumbprint(publicJwk, 'sha256'));
  }

  /** A proof for `method` on `url` (query and fragment are not part of `htu`). */
  proof(method: string, url: string, options: ProofOptions = {}): Promise<string> {
    const target = new URL(url);
    const claims: Record<string, unknown> = {
      jti: randomUUID(),
      htm: method,
      htu: `${target.origin}${target.pathname}`,
      iat: Math.floor(Date.now() / 1000),
    };
    if (options.accessToken !== undefined) claims.ath = ath(options.accessToken);
    if (options.nonce !== undefined) claims.nonce = options.nonce;
    for (const [name, value] of Object.entries(options.claims ?? {})) {
      if (value === undefined) delete claims[name];
      else claims[name] = value;
    }
    return new SignJWT(claims)
      .setProtectedHeader({ alg: this.alg, typ: 'dpop+jwt', jwk: this.publicJwk, ...options.header })
      .sign(this.privateKey);
  }
}

/** RFC 9449 §4.2 `ath`, computed here independently of the service's code. */
export function ath(accessToken: string): string {
  return createHash('sha256').update(accessToken, 'ascii').digest('base64url');
}
