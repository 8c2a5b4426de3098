import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { SignJWT } from 'jose';
import { APP_CONFIG, type AppConfig, type LocalClient } from '../../config/app-config';
import { AuthError, OAuthError } from '../errors/auth-error';
import { issuerVariants } from '../jwt/access-token-rules';
import { SubjectTokenVerifier } from '../jwt/subject-token-verifier';
import type { ActorLink, Principal } from '../principal';
import {
  ACCESS_TOKEN_TYPE,
  AGENT_TOKEN_TYPE,
  agentSubjectOf,
  delegatedScopes,
  scopeList,
  TOKEN_EXCHANGE_GRANT,
} from '../delegation/delegation-rules';
import { LOCAL_DEFAULTS } from './local-defaults';
import type { LocalLoginDto } from './local-login.dto';
import { LocalSigningKeys } from './local-signing-keys';

export interface TokenResponse {
  access_token: string;
  /** `DPoP` for a token bound to a key (RFC 9449 §5), which must be sent with proofs of that key. */
  token_type: 'Bearer' | 'DPoP';
  expires_in: number;
  scope?: string;
  /** RFC 8693 §2.2.1, on token-exchange responses. */
  issued_token_type?: string;
}

/** What a delegated token is for: the agent, the resource (its audience) and the scopes asked for. */
export interface DelegationGrant {
  readonly agentSubject: string;
  readonly target: string;
  readonly requestedScopes?: readonly string[];
}

const CUSTOM_CLAIMS = ['org_id', 'team_id', 'workspace_id', 'project_id', 'lab_id'] as const;

/**
 * A real issuer for development and tests: RS256 tokens with the same claims Auth0 would put in, signed
 * with the stored key and verified by the same JWKS path as any other provider's.
 */
@Injectable()
export class LocalIssuer {
  private readonly auth: AppConfig['auth'];

  /** The audiences a delegated token may be issued for: the MCP servers and the configured upstream. */
  private readonly delegationTargets: ReadonlySet<string>;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly keys: LocalSigningKeys,
    private readonly verifier: SubjectTokenVerifier,
  ) {
    this.auth = config.auth;
    this.delegationTargets = new Set(
      [config.mcp.dataCanonicalUri, config.mcp.codebaseCanonicalUri, config.mcp.upstream?.audience].filter(
        (uri): uri is string => uri !== undefined,
      ),
    );
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
      grant_types_supported: this.auth.agentTokenExchange.enabled
        ? ['client_credentials', TOKEN_EXCHANGE_GRANT]
        : ['client_credentials'],
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
    if (params.grant_type === TOKEN_EXCHANGE_GRANT && this.auth.agentTokenExchange.enabled) {
      return this.tokenExchange(params, authorization);
    }
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

  /**
   * RFC 8693 token exchange: a user's access token (the subject) for a delegated agent token (the actor
   * named by `actor_token`), under the rules of `delegate`. Client authentication is optional, as the
   * RFC allows; credentials that are sent must be right. The subject token is validated exactly as a
   * bearer token would be.
   */
  private async tokenExchange(
    params: Record<string, string | undefined>,
    authorization: string | undefined,
  ): Promise<TokenResponse> {
    const sendsClient =
      params.client_id !== undefined || (authorization !== undefined && /^Basic /i.test(authorization));
    if (sendsClient) this.authenticateClient(params, authorization);
    const { subject_token, subject_token_type, actor_token, actor_token_type } = params;
    if (subject_token === undefined || subject_token_type === undefined) {
      throw new OAuthError('invalid_request', 'subject_token and subject_token_type are required');
    }
    if (subject_token_type !== ACCESS_TOKEN_TYPE) {
      throw new OAuthError('invalid_request', `subject_token_type must be ${ACCESS_TOKEN_TYPE}`);
    }
    if (actor_token === undefined || actor_token_type !== AGENT_TOKEN_TYPE) {
      throw new OAuthError(
        'invalid_request',
        `actor_token (agent|<name>) and actor_token_type ${AGENT_TOKEN_TYPE} are required`,
      );
    }
    const agentSubject = agentSubjectOf(actor_token);
    if (agentSubject === undefined) {
      throw new OAuthError(
        'invalid_request',
        'actor_token must name an agent: agent|<name>, see docs/agents-and-mcp.md',
      );
    }
    const { resource, audience } = params;
    if (resource !== undefined && audience !== undefined && resource !== audience) {
      throw new OAuthError('invalid_target', 'resource and audience name different targets');
    }
    const target = resource ?? audience;
    if (target === undefined) throw new OAuthError('invalid_request', 'resource (or audience) is required');
    let subject: Principal;
    try {
      subject = await this.verifier.verify(subject_token);
    } catch (error) {
      if (error instanceof AuthError)
        throw new OAuthError('invalid_grant', 'The subject token is not acceptable');
      throw error;
    }
    return this.delegate(subject, { agentSubject, target, requestedScopes: scopeList(params.scope) });
  }

  /**
   * Mints a delegated agent token for `subject` (docs/agents-and-mcp.md): `sub` stays the human, `act`
   * names the agent, scopes are requested ∩ held ∩ the MCP scopes, the audience is the resource, the
   * organization claim is carried over, and it lives the delegation TTL but never past the subject
   * token. A subject that is itself delegated may only be re-exchanged by its own agent (for another
   * resource, e.g. an upstream), and keeps its `act` chain.
   */
  async delegate(subject: Principal, grant: DelegationGrant): Promise<TokenResponse> {
    if (subject.actorType !== 'user' && subject.actorType !== 'agent') {
      throw new OAuthError(
        'invalid_grant',
        'Only a user token, or an agent token of the same agent, can be exchanged',
      );
    }
    if (subject.actor && subject.actor.sub !== grant.agentSubject) {
      throw new OAuthError('invalid_grant', 'A delegated token can be exchanged only by its own agent');
    }
    if (!this.delegationTargets.has(grant.target)) {
      throw new OAuthError('invalid_target', 'The resource is not one this issuer delegates to');
    }
    const scopes = delegatedScopes(grant.requestedScopes, subject.permissions);
    if (scopes.length === 0) {
      throw new OAuthError('invalid_scope', 'None of the requested scopes can be delegated by this subject');
    }
    const now = Math.floor(Date.now() / 1000);
    const expiresAt = Math.min(
      now + this.auth.agentDelegationTtlSeconds,
      Math.floor(subject.expiresAt ?? now),
    );
    if (expiresAt <= now) throw new OAuthError('invalid_grant', 'The subject token expires too soon');
    const ns = this.auth.claimNamespaces[0];
    const claims: Record<string, unknown> = {
      scope: scopes.join(' '),
      permissions: scopes,
      act: subject.actor ? actClaimOf(subject.actor.chain) : { sub: grant.agentSubject, iss: this.issuerUrl },
      alphaswarm_delegated: true,
    };
    if (subject.clientId !== undefined) claims.azp = subject.clientId;
    if (subject.orgId !== undefined) claims[`${ns}org_id`] = subject.orgId;
    const expiresIn = expiresAt - now;
    const token = await this.sign(subject.sub, grant.target, claims, expiresIn);
    return {
      access_token: token,
      token_type: 'Bearer',
      expires_in: expiresIn,
      scope: scopes.join(' '),
      issued_token_type: ACCESS_TOKEN_TYPE,
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

/** An `act` claim rebuilt from a principal's chain, nearest actor outermost (RFC 8693 §4.1). */
function actClaimOf(chain: readonly ActorLink[]): Record<string, unknown> | undefined {
  let claim: Record<string, unknown> | undefined;
  for (const link of [...chain].reverse()) {
    claim = {
      sub: link.sub,
      ...(link.iss !== undefined ? { iss: link.iss } : {}),
      ...(claim ? { act: claim } : {}),
    };
  }
  return claim;
}
