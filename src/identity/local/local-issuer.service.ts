import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { SignJWT } from 'jose';
import { APP_CONFIG, type AppConfig, type LocalClient } from '../../config/app-config';
import { OAuthError } from '../errors/auth-error';
import { issuerVariants } from '../jwt/access-token-rules';
import { LOCAL_DEFAULTS } from './local-defaults';
import type { LocalLoginDto } from './local-login.dto';
import { LocalSigningKeys } from './local-signing-keys';

export interface TokenResponse {
  access_token: string;
  /** `DPoP` for a token bound to a key (RFC 9449 §5), which must be sent with proofs of that key. */
  token_type: 'Bearer' | 'DPoP';
  expires_in: number;
  scope?: string;
}

const CUSTOM_CLAIMS = ['org_id', 'team_id', 'workspace_id', 'project_id', 'lab_id'] as const;

/**
 * A real issuer for development and tests: RS256 tokens with the same claims Auth0 would put in, signed
 * with the stored key and verified by the same JWKS path as any other provider's.
 */
@Injectable()
export class LocalIssuer {
  private readonly auth: AppConfig['auth'];

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly keys: LocalSigningKeys,
  ) {
    this.auth = config.auth;
  }

  /** The issuer URL with exactly one trailing slash, as discovery documents print it. */
  get issuerUrl(): string {
    return issuerVariants(this.auth.issuer).find((variant) => variant.endsWith('/')) as string;
  }

  discovery(): Record<string, unknown> {
    return {
      issuer: this.auth.issuer,
      jwks_uri: this.auth.jwksUri,
      token_endpoint: `${this.issuerUrl}oauth/token`,
      grant_types_supported: ['client_credentials'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      response_types_supported: ['token'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: [this.keys.alg],
      scopes_supported: [],
      // RFC 9449 §5.1: a DPoP proof at the token endpoint binds the token it issues.
      ...(this.auth.dpop.enabled ? { dpop_signing_alg_values_supported: this.auth.dpop.algorithms } : {}),
    };
  }

  /** Mints a user access token for the dev login and `npm run token`. */
  async login(request: LocalLoginDto): Promise<TokenResponse> {
    const ns = this.auth.claimNamespaces[0];
    const expiresIn = request.expires_in ?? this.auth.local.tokenTtlSeconds;
    const claims: Record<string, unknown> = {
      permissions: request.permissions ?? [],
      azp: LOCAL_DEFAULTS.loginClientId,
      auth_time: request.auth_time ?? Math.floor(Date.now() / 1000),
      [`${ns}org_id`]: request.org_id ?? LOCAL_DEFAULTS.orgId,
    };
    for (const name of CUSTOM_CLAIMS.slice(1)) {
      if (request[name] !== undefined) claims[`${ns}${name}`] = request[name];
    }
    if (request.roles) claims[`${ns}roles`] = request.roles;
    if (request.amr) claims.amr = request.amr;
    if (request.email) claims.email = request.email;
    if (request.dpop_jkt) claims.cnf = { jkt: request.dpop_jkt };
    const token = await this.sign(request.sub ?? LOCAL_DEFAULTS.sub, this.auth.audience, claims, expiresIn);
    return { access_token: token, token_type: tokenTypeOf(request.dpop_jkt), expires_in: expiresIn };
  }

  /**
   * RFC 6749 §4.4 client credentials for the clients listed in ALPHASWARM_AUTH_LOCAL_CLIENTS. `dpopJkt`,
   * the key of a verified DPoP proof sent with the request, binds the token to that key (RFC 9449 §5).
   */
  async clientCredentials(
    body: unknown,
    authorization: string | undefined,
    dpopJkt?: string,
  ): Promise<TokenResponse> {
    const params = asParams(body);
    if (params.grant_type === undefined) throw new OAuthError('invalid_request', 'grant_type is required');
    if (params.grant_type !== 'client_credentials') {
      throw new OAuthError(
        'unsupported_grant_type',
        'Only client_credentials is supported by the local issuer',
      );
    }
    const client = this.authenticateClient(params, authorization);
    if (!this.auth.m2mEnabled) {
      throw new OAuthError(
        'unauthorized_client',
        'M2M tokens are disabled (ALPHASWARM_AUTH_M2M_ENABLED=false)',
      );
    }
    const audience = params.audience ?? this.auth.m2mAudience;
    if (audience !== this.auth.audience && audience !== this.auth.m2mAudience) {
      throw new OAuthError('invalid_request', 'Unknown audience');
    }
    let granted = [...client.permissions];
    if (params.scope !== undefined) {
      const requested = params.scope.split(' ').filter((scope) => scope !== '');
      if (!requested.every((scope) => client.permissions.includes(scope))) {
        throw new OAuthError('invalid_scope', 'The client is not allowed one of the requested scopes');
      }
      granted = requested;
    }
    const expiresIn = this.auth.local.m2mTokenTtlSeconds;
    const claims: Record<string, unknown> = {
      permissions: granted,
      azp: client.clientId,
      gty: 'client-credentials',
    };
    if (dpopJkt !== undefined) claims.cnf = { jkt: dpopJkt };
    const token = await this.sign(`${client.clientId}@clients`, audience, claims, expiresIn);
    return {
      access_token: token,
      token_type: tokenTypeOf(dpopJkt),
      expires_in: expiresIn,
      scope: granted.join(' '),
    };
  }

  private authenticateClient(
    params: Record<string, string | undefined>,
    authorization?: string,
  ): LocalClient {
    let clientId = params.client_id;
    let secret = params.client_secret;
    if (authorization !== undefined && /^Basic /i.test(authorization)) {
      const decoded = Buffer.from(authorization.slice(6).trim(), 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 0) throw new OAuthError('invalid_client', 'Client authentication failed');
      clientId = decodeURIComponent(decoded.slice(0, colon));
      secret = decodeURIComponent(decoded.slice(colon + 1));
    }
    const client = this.auth.local.clients.find((candidate) => candidate.clientId === clientId);
    // Compare digests of equal length in constant time, and do it even for unknown clients.
    const matches = timingSafeEqual(digest(secret ?? ''), digest(client?.clientSecret ?? randomUUID()));
    if (!client || !matches) throw new OAuthError('invalid_client', 'Client authentication failed');
    return client;
  }

  private async sign(sub: string, audience: string, claims: Record<string, unknown>, expiresIn: number) {
    return new SignJWT(claims)
      .setProtectedHeader({ alg: this.keys.alg, kid: this.keys.kid, typ: 'at+jwt' })
      .setIssuer(this.auth.issuer)
      .setSubject(sub)
      .setAudience(audience)
      .setIssuedAt()
      .setExpirationTime(`${expiresIn}s`)
      .setJti(randomUUID())
      .sign(this.keys.privateKey);
  }
}

function tokenTypeOf(dpopJkt: string | undefined): TokenResponse['token_type'] {
  return dpopJkt === undefined ? 'Bearer' : 'DPoP';
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

function asParams(body: unknown): Record<string, string | undefined> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new OAuthError('invalid_request', 'The body must be form-encoded or JSON parameters');
  }
  const params: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(body as Record<string, unknown>)) {
    if (typeof value !== 'string')
      throw new OAuthError('invalid_request', `Parameter ${name} must be a string`);
    params[name] = value;
  }
  return params;
}
