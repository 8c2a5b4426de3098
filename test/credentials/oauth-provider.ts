import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { exportJWK, generateKeyPair, type KeyLike, SignJWT } from 'jose';

interface Grant {
  readonly sub: string;
  readonly email: string;
  readonly challenge: string;
  readonly redirectUri: string;
  readonly scope: string;
}

const token = (prefix: string) => `${prefix}-${randomBytes(18).toString('base64url')}`;

/**
 * A real OAuth 2.0 / OIDC provider on loopback for the per-user connection tests: discovery, an
 * authorization endpoint that approves at once (as if the person consented), a token endpoint that
 * checks client authentication, the redirect URI and the PKCE verifier (S256), refresh-token rotation,
 * and RFC 7009 revocation. Faults are injected through `tokenFailure`.
 */
export class LoopbackOAuthProvider {
  readonly clientId = 'alphaswarm-connections';
  readonly clientSecret = randomBytes(24).toString('base64url');
  /** Who approves at the authorization endpoint. */
  person = { sub: 'provider|person-1', email: 'person@provider.test' };
  /** When set, the token endpoint answers this. */
  tokenFailure?: { status: number; body: unknown };
  expiresIn = 3600;
  readonly tokenRequests: URLSearchParams[] = [];
  readonly revoked: string[] = [];
  /** Access tokens handed out, so tests can search for them anywhere they must not be. */
  readonly issuedTokens: string[] = [];
  private readonly codes = new Map<string, Grant>();
  private readonly refreshTokens = new Map<string, Grant>();

  private constructor(
    private readonly server: Server,
    readonly url: string,
    private readonly key: KeyLike,
    private readonly kid: string,
  ) {}

  static async start(): Promise<LoopbackOAuthProvider> {
    const { privateKey, publicKey } = await generateKeyPair('RS256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'p1', alg: 'RS256', use: 'sig' };
    const holder: { provider?: LoopbackOAuthProvider } = {};
    const server = createServer((request, response) => {
      void holder.provider!.handle(request, jwk).then(
        ({ status, headers, body }) => {
          response.writeHead(status, headers);
          response.end(body);
        },
        () => response.writeHead(500).end(),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    holder.provider = new LoopbackOAuthProvider(server, `http://127.0.0.1:${port}`, privateKey, 'p1');
    return holder.provider;
  }

  /** Environment that offers this provider as the generic one. */
  env(): Record<string, string> {
    return {
      ALPHASWARM_USER_OAUTH_GENERIC_ISSUER: this.url,
      ALPHASWARM_USER_OAUTH_GENERIC_CLIENT_ID: this.clientId,
      ALPHASWARM_USER_OAUTH_GENERIC_CLIENT_SECRET: this.clientSecret,
      ALPHASWARM_USER_OAUTH_GENERIC_SCOPES: 'openid email offline_access',
    };
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(
    request: IncomingMessage,
    jwk: Record<string, unknown>,
  ): Promise<{ status: number; headers: Record<string, string>; body: string }> {
    const url = new URL(request.url ?? '/', this.url);
    const json = (status: number, body: unknown) => ({
      status,
      headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
      body: JSON.stringify(body),
    });
    if (url.pathname === '/.well-known/openid-configuration') {
      return json(200, {
        issuer: this.url,
        authorization_endpoint: `${this.url}/authorize`,
        token_endpoint: `${this.url}/token`,
        revocation_endpoint: `${this.url}/revoke`,
        jwks_uri: `${this.url}/jwks`,
        response_types_supported: ['code'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256'],
        code_challenge_methods_supported: ['S256'],
        authorization_response_iss_parameter_supported: true,
      });
    }
    if (url.pathname === '/jwks') return json(200, { keys: [jwk] });
    if (url.pathname === '/authorize') return this.authorize(url.searchParams);

    const form = new URLSearchParams(await bodyOf(request));
    if (!this.authenticated(request)) return json(401, { error: 'invalid_client' });
    if (url.pathname === '/revoke') {
      this.revoked.push(form.get('token') ?? '');
      return { status: 200, headers: {}, body: '' };
    }
    if (url.pathname !== '/token') return json(404, { error: 'not_found' });
    this.tokenRequests.push(form);
    if (this.tokenFailure) return json(this.tokenFailure.status, this.tokenFailure.body);
    if (form.get('grant_type') === 'authorization_code') {
      const grant = this.codes.get(form.get('code') ?? '');
      this.codes.delete(form.get('code') ?? '');
      const verifier = form.get('code_verifier') ?? '';
      const challenge = createHash('sha256').update(verifier).digest('base64url');
      if (!grant || grant.redirectUri !== form.get('redirect_uri') || grant.challenge !== challenge) {
        return json(400, {
          error: 'invalid_grant',
          error_description: 'code, redirect_uri or code_verifier mismatch',
        });
      }
      return json(200, await this.tokensFor(grant, true));
    }
    if (form.get('grant_type') === 'refresh_token') {
      const grant = this.refreshTokens.get(form.get('refresh_token') ?? '');
      if (!grant) return json(400, { error: 'invalid_grant' });
      this.refreshTokens.delete(form.get('refresh_token') ?? '');
      return json(200, await this.tokensFor(grant, false));
    }
    return json(400, { error: 'unsupported_grant_type' });
  }

  private authorize(params: URLSearchParams): {
    status: number;
    headers: Record<string, string>;
    body: string;
  } {
    const redirectUri = params.get('redirect_uri') ?? '';
    if (
      params.get('client_id') !== this.clientId ||
      params.get('response_type') !== 'code' ||
      params.get('code_challenge_method') !== 'S256' ||
      !params.get('code_challenge')
    ) {
      return { status: 400, headers: {}, body: 'bad authorization request' };
    }
    const code = token('code');
    this.codes.set(code, {
      ...this.person,
      challenge: params.get('code_challenge') ?? '',
      redirectUri,
      scope: params.get('scope') ?? '',
    });
    const location = new URL(redirectUri);
    location.searchParams.set('code', code);
    location.searchParams.set('state', params.get('state') ?? '');
    location.searchParams.set('iss', this.url);
    return { status: 302, headers: { location: location.href }, body: '' };
  }

  private async tokensFor(grant: Grant, withIdToken: boolean): Promise<Record<string, unknown>> {
    const accessToken = token('at');
    const refreshToken = token('rt');
    this.issuedTokens.push(accessToken, refreshToken);
    this.refreshTokens.set(refreshToken, grant);
    const now = Math.floor(Date.now() / 1000);
    const idToken = withIdToken
      ? await new SignJWT({ sub: grant.sub, email: grant.email })
          .setProtectedHeader({ alg: 'RS256', kid: this.kid })
          .setIssuer(this.url)
          .setAudience(this.clientId)
          .setIssuedAt(now)
          .setExpirationTime(now + 300)
          .sign(this.key)
      : undefined;
    return {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: this.expiresIn,
      refresh_token: refreshToken,
      scope: grant.scope,
      ...(idToken && { id_token: idToken }),
    };
  }

  /** RFC 6749 §2.3.1: client_secret_basic with both halves form-urlencoded first. */
  private authenticated(request: IncomingMessage): boolean {
    const header = request.headers.authorization ?? '';
    if (!header.startsWith('Basic ')) return false;
    const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const form = (part: string) => decodeURIComponent(part.replace(/\+/g, ' '));
    return (
      form(decoded.slice(0, colon)) === this.clientId && form(decoded.slice(colon + 1)) === this.clientSecret
    );
  }
}

function bodyOf(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => resolve(body));
    request.on('error', reject);
  });
}
