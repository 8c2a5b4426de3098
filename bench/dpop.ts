import { createHash, randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK, type KeyLike, SignJWT } from 'jose';

/**
 * The bench's DPoP client (RFC 9449): one ES256 key, as a CLI or SPA holds it, and proofs made ahead of
 * the measured run so the clock measures the service (one proof signature check, one Redis SET NX per
 * request), not the signing.
 */
export class BenchDpopClient {
  private constructor(
    private readonly privateKey: KeyLike,
    private readonly publicJwk: JWK,
    /** RFC 7638 thumbprint: the `cnf.jkt` of the token bound to this key. */
    readonly jkt: string,
  ) {}

  static async create(): Promise<BenchDpopClient> {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const publicJwk = await exportJWK(publicKey);
    return new BenchDpopClient(privateKey, publicJwk, await calculateJwkThumbprint(publicJwk, 'sha256'));
  }

  /** `count` distinct proofs (each its own `jti`) for `method` on `url`, presenting `accessToken`. */
  async proofs(method: string, url: string, accessToken: string, count: number): Promise<string[]> {
    const ath = createHash('sha256').update(accessToken).digest('base64url');
    const proofs: string[] = [];
    for (let i = 0; i < count; i += 1) {
      proofs.push(
        await new SignJWT({
          jti: randomUUID(),
          htm: method,
          htu: url,
          iat: Math.floor(Date.now() / 1000),
          ath,
        })
          .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: this.publicJwk })
          .sign(this.privateKey),
      );
    }
    return proofs;
  }
}
