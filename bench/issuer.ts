import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { exportJWK, exportPKCS8, generateKeyPair, type JWK, type KeyLike, SignJWT } from 'jose';

export const BENCH_AUDIENCE = 'https://api.bench.alphaswarm/';

/**
 * A loopback OIDC issuer for the bench: one RS256 2048-bit key, its JWKS over plain HTTP, and a counter
 * of JWKS GETs so the run can show how often the service fetched keys (it should fetch once).
 * Kept apart from test/support/issuer.ts on purpose: bench code does not import test code.
 */
export class BenchIssuer {
  /** JWKS GETs by the service (the baseline reads the same keys at its own path, counted apart). */
  jwksRequests = 0;
  baselineJwksRequests = 0;

  private constructor(
    private readonly server: Server,
    readonly url: string,
    readonly kid: string,
    private readonly privateKey: KeyLike,
    /** PKCS#8 PEM of the private key, handed to the minting workers (KeyLike does not cross threads). */
    readonly privateKeyPem: string,
  ) {}

  static async start(): Promise<BenchIssuer> {
    const { privateKey, publicKey } = await generateKeyPair('RS256', {
      modulusLength: 2048,
      extractable: true,
    });
    const kid = `bench-${randomUUID()}`;
    const jwks = JSON.stringify({
      keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } satisfies JWK],
    });
    const holder: { issuer?: BenchIssuer } = {};
    const server = createServer((request, response) => {
      if (request.method === 'GET' && request.url === '/.well-known/jwks.json') {
        if (holder.issuer) holder.issuer.jwksRequests += 1;
        response.writeHead(200, { 'content-type': 'application/json' }).end(jwks);
        return;
      }
      if (request.method === 'GET' && request.url === '/baseline/jwks.json') {
        if (holder.issuer) holder.issuer.baselineJwksRequests += 1;
        response.writeHead(200, { 'content-type': 'application/json' }).end(jwks);
        return;
      }
      response.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    holder.issuer = new BenchIssuer(
      server,
      `http://127.0.0.1:${port}/`,
      kid,
      privateKey,
      await exportPKCS8(privateKey),
    );
    return holder.issuer;
  }

  /** The same keys for the baseline, so its fetches never count as the service's. */
  get baselineJwksUri(): string {
    return `${this.url}baseline/jwks.json`;
  }

  get jwksUri(): string {
    return `${this.url}.well-known/jwks.json`;
  }

  /** One valid access token carrying `read:portfolio`, valid for an hour (plus `claims`, e.g. a `cnf`). */
  token(claims: Record<string, unknown> = {}): Promise<string> {
    return new SignJWT({ ...accessTokenClaims(this.url, randomUUID()), ...claims })
      .setProtectedHeader({ alg: 'RS256', kid: this.kid, typ: 'at+jwt' })
      .sign(this.privateKey);
  }

  /** A delegated agent token for the MCP phases. */
  agentToken(resource: string): Promise<string> {
    return new SignJWT(agentTokenClaims(this.url, resource, randomUUID()))
      .setProtectedHeader({ alg: 'RS256', kid: this.kid, typ: 'at+jwt' })
      .sign(this.privateKey);
  }

  /** A token with `claims` laid over the bench user's (another subject, an M2M client, MFA). */
  tokenWith(claims: Record<string, unknown>): Promise<string> {
    return new SignJWT({ ...accessTokenClaims(this.url, randomUUID()), ...claims })
      .setProtectedHeader({ alg: 'RS256', kid: this.kid, typ: 'at+jwt' })
      .sign(this.privateKey);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A delegated agent token for the bench user, addressed to an MCP server (RFC 8707), an hour long. */
export function agentTokenClaims(issuer: string, resource: string, jti: string): Record<string, unknown> {
  return {
    ...accessTokenClaims(issuer, jti),
    aud: resource,
    permissions: ['read:mcp:data'],
    act: { sub: 'agent|bench', iss: issuer },
  };
}

/** The user every bench token is for. */
export const BENCH_SUBJECT = 'auth0|bench-user';

/** The claims of every bench token: what an Auth0 user access token with one permission looks like. */
export function accessTokenClaims(issuer: string, jti: string): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: issuer,
    aud: BENCH_AUDIENCE,
    sub: BENCH_SUBJECT,
    iat: now,
    exp: now + 3600,
    jti,
    permissions: ['read:portfolio'],
  };
}
