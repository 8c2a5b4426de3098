import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { base64url, CompactSign, exportJWK, generateKeyPair, type JWK, type KeyLike, SignJWT } from 'jose';

export interface IssuerKey {
  readonly kid: string;
  readonly alg: string;
  readonly privateKey: KeyLike;
  readonly publicKey: KeyLike;
  readonly publicJwk: JWK;
}

export interface SignOptions {
  /** Protected-header members added to (or overriding) `{ alg, kid, typ }`. */
  header?: Record<string, unknown>;
  key?: IssuerKey;
}

/**
 * A real OIDC issuer standing in for Auth0 in tests: its own RSA keys, its JWKS served over HTTP on
 * loopback, and tokens signed with jose. Attack tokens are built from the same parts.
 */
export class TestIssuer {
  readonly audience = 'https://api.test.alphaswarm/';
  /** Counts GETs of the JWKS, to prove caching. */
  jwksRequests = 0;
  /** When set, the JWKS endpoint answers this instead of the keys (fault injection). */
  jwksOverride?: { status: number; body: string };
  /** When set, the JWKS endpoint waits this long before answering (a slow IdP). */
  jwksDelayMs = 0;
  /** Raw JWKs published after the issuer's own keys (e.g. one carrying private members). */
  extraJwks: Record<string, unknown>[] = [];
  private published: IssuerKey[] = [];
  private readonly pending = new Set<NodeJS.Timeout>();

  private constructor(
    private readonly server: Server,
    readonly url: string,
    readonly key: IssuerKey,
  ) {
    this.published = [key];
  }

  static async start(): Promise<TestIssuer> {
    const key = await newKey();
    const started: { issuer?: TestIssuer } = {};
    const server = createServer((request, response) => {
      const issuer = started.issuer;
      if (request.url === '/.well-known/jwks.json' && issuer) {
        issuer.jwksRequests += 1;
        const override = issuer.jwksOverride;
        const body =
          override?.body ??
          JSON.stringify({ keys: [...issuer.published.map((k) => k.publicJwk), ...issuer.extraJwks] });
        const timer = setTimeout(() => {
          issuer.pending.delete(timer);
          if (response.destroyed) return;
          response.writeHead(override?.status ?? 200, { 'content-type': 'application/json' });
          response.end(body);
        }, issuer.jwksDelayMs);
        issuer.pending.add(timer);
        return;
      }
      response.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    started.issuer = new TestIssuer(server, `http://127.0.0.1:${port}/`, key);
    return started.issuer;
  }

  get jwksUri(): string {
    return `${this.url}.well-known/jwks.json`;
  }

  /** Environment that points the service at this issuer. */
  env(provider: 'oidc' | 'auth0' = 'oidc'): Record<string, string> {
    return {
      ALPHASWARM_AUTH_PROVIDER: provider,
      ALPHASWARM_AUTH_OIDC_ISSUER: this.url,
      ALPHASWARM_AUTH_OIDC_AUDIENCE: this.audience,
    };
  }

  /** Standard claims of a valid user access token, five minutes long. */
  claims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
    const now = Math.floor(Date.now() / 1000);
    return {
      iss: this.url,
      aud: this.audience,
      sub: 'auth0|alice',
      iat: now,
      exp: now + 300,
      jti: randomUUID(),
      ...overrides,
    };
  }

  /** Signs exactly the given payload (no claims added), RS256 with the issuer's key unless told otherwise. */
  async signPayload(payload: Record<string, unknown>, options: SignOptions = {}): Promise<string> {
    const key = options.key ?? this.key;
    return new SignJWT(payload)
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'at+jwt', ...options.header })
      .sign(key.privateKey);
  }

  /** A valid access token with `overrides` merged into the standard claims. */
  token(overrides: Record<string, unknown> = {}, options: SignOptions = {}): Promise<string> {
    return this.signPayload(this.claims(overrides), options);
  }

  /** A validly signed JWS whose payload is exactly these bytes (not necessarily a JSON object). */
  signBytes(payload: string | Uint8Array, options: SignOptions = {}): Promise<string> {
    const key = options.key ?? this.key;
    const bytes = typeof payload === 'string' ? new TextEncoder().encode(payload) : payload;
    return new CompactSign(bytes)
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'at+jwt', ...options.header })
      .sign(key.privateKey);
  }

  /** Publishes another key (rotation) and returns it. */
  async addKey(): Promise<IssuerKey> {
    const key = await newKey();
    this.published.push(key);
    return key;
  }

  /** Publishes `key` in place of any published key with the same kid (key material replaced under it). */
  publishKey(key: IssuerKey): void {
    this.removeKey(key.kid);
    this.published.push(key);
  }

  /** Stops publishing a key (rotation's second half). */
  removeKey(kid: string): void {
    this.published = this.published.filter((key) => key.kid !== kid);
  }

  async stop(): Promise<void> {
    for (const timer of this.pending) clearTimeout(timer);
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

export async function newKey(alg = 'RS256', modulusLength = 2048): Promise<IssuerKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { modulusLength, extractable: true });
  const kid = `k-${randomUUID()}`;
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { kid, alg, privateKey, publicKey, publicJwk };
}

/** A compact JWS from raw parts, for tokens no honest library would produce. */
export function rawJwt(header: unknown, payload: unknown, signature = ''): string {
  const encode = (part: unknown) => base64url.encode(typeof part === 'string' ? part : JSON.stringify(part));
  return `${encode(header)}.${encode(payload)}.${signature}`;
}
