import type { Logger } from '@nestjs/common';
import { type AgentTokenExchangeConfig, SEED_BROKER_SECRET } from '../../config/app-config';
import { RequestError } from '../../common/errors/request-error';
import { AuthError, OAuthError } from '../errors/auth-error';
import type { SubjectTokenVerifier } from '../jwt/subject-token-verifier';
import type { TokenResponse } from '../local/local-issuer.service';
import type { Principal } from '../principal';
import type { AgentTokenBroker, BrokerRequest } from './agent-token-broker';
import type { BrokerClientSecret } from './broker-client-secret';
import {
  ACCESS_TOKEN_TYPE,
  AGENT_TOKEN_TYPE,
  DELEGATION_PROFILE,
  delegatedScopes,
  TOKEN_EXCHANGE_GRANT,
} from './delegation-rules';

/** How long the IdP gets to answer one exchange. */
const TIMEOUT_MS = 5000;
/** More than any token response; a longer body is not read to the end. */
const MAX_RESPONSE_BYTES = 64 * 1024;

/** RFC 6749 / 8693 error codes an IdP may answer with; only these are ever named back to the caller. */
const KNOWN_ERRORS = new Set([
  'invalid_request',
  'invalid_client',
  'invalid_grant',
  'unauthorized_client',
  'unsupported_grant_type',
  'invalid_scope',
  'invalid_target',
  'access_denied',
  'consent_required',
]);

/**
 * Calls the IdP's token endpoint as the `alphaswarm-agent-broker` client (Auth0 Custom Token Exchange,
 * profile `alphaswarm-agent-delegation`; docs/agents-and-mcp.md). The IdP's answer is never passed on
 * verbatim: a refusal becomes a 400 (the caller asked for something the profile does not allow) or a
 * 502 (the broker or the profile is misconfigured) naming only the standard error code, and a token it
 * returns is validated like any bearer token and must be exactly the delegation asked for.
 */
export class IdpAgentBroker implements AgentTokenBroker {
  constructor(
    private readonly config: Required<AgentTokenExchangeConfig>['broker'],
    private readonly clientSecret: BrokerClientSecret,
    private readonly verifier: SubjectTokenVerifier,
    private readonly logger: Logger,
  ) {}

  async exchange(request: BrokerRequest): Promise<TokenResponse> {
    const scopes = delegatedScopes(request.requestedScopes, request.subject.permissions);
    if (scopes.length === 0) {
      throw new OAuthError('invalid_scope', 'None of the requested scopes can be delegated by this subject');
    }
    const body = new URLSearchParams({
      grant_type: TOKEN_EXCHANGE_GRANT,
      client_id: this.config.clientId,
      client_secret: await this.secret(),
      subject_token: request.subjectToken,
      subject_token_type: ACCESS_TOKEN_TYPE,
      // The Custom Token Exchange profile the broker may use, by name (seed 001, Phase 8).
      subject_token_profile: DELEGATION_PROFILE,
      actor_token: request.agentSubject,
      actor_token_type: AGENT_TOKEN_TYPE,
      // The profile's Action (auth0/actions/custom-token-exchange.js) reads the agent from this parameter.
      agent: request.agentSubject,
      audience: request.target,
      resource: request.target,
      scope: scopes.join(' '),
    });
    const { status, json } = await this.post(body);
    if (status < 200 || status >= 300) throw this.refusal(status, json);

    const accessToken = typeof json?.access_token === 'string' ? json.access_token : undefined;
    if (accessToken === undefined) throw upstream('The identity provider answered without an access token');
    let issued: Principal;
    try {
      issued = await this.verifier.verify(accessToken);
    } catch (error) {
      if (!(error instanceof AuthError)) throw error;
      this.logger.warn(`agent token exchange: the IdP returned a token refused with ${error.reason}`);
      throw upstream('The identity provider returned a token this service does not accept');
    }
    // The profile must mint exactly this delegation; anything wider is the IdP's misconfiguration and
    // must not reach an agent.
    const exact =
      issued.sub === request.subject.sub &&
      issued.actor?.sub === request.agentSubject &&
      [...issued.permissions].every((scope) => scopes.includes(scope));
    if (!exact)
      throw upstream(
        `The identity provider returned a token that is not the ${DELEGATION_PROFILE} delegation asked for`,
      );
    const now = Math.floor(Date.now() / 1000);
    return {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: Math.max(0, Math.floor((issued.expiresAt ?? now) - now)),
      scope: [...issued.permissions].join(' '),
      issued_token_type: ACCESS_TOKEN_TYPE,
    };
  }

  /** The broker's secret as the store holds it now; without one nothing is sent and the caller gets 503. */
  private async secret(): Promise<string> {
    const secret = await this.clientSecret.resolve().catch((error: unknown) => {
      this.logger.error(
        `agent token exchange: the broker's client secret could not be read (${error instanceof Error ? error.name : 'error'})`,
      );
      return undefined;
    });
    if (secret !== undefined) return secret;
    this.logger.error(
      `agent token exchange: no agent broker client secret is configured; seed it with ${SEED_BROKER_SECRET}`,
    );
    throw new RequestError('service_unavailable', 503, 'Agent token exchange is not available right now');
  }

  private async post(body: URLSearchParams): Promise<{ status: number; json?: Record<string, unknown> }> {
    let response: Response;
    try {
      response = await fetch(this.config.tokenEndpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body,
        redirect: 'error',
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch {
      throw upstream('The identity provider could not be reached for the agent token exchange');
    }
    const text = await readLimited(response);
    let json: Record<string, unknown> | undefined;
    try {
      const parsed: unknown = text === undefined ? undefined : JSON.parse(text);
      json =
        typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
          ? (parsed as Record<string, unknown>)
          : undefined;
    } catch {
      json = undefined;
    }
    return { status: response.status, json };
  }

  /** The caller's mistake (400) when the profile refuses what was asked; ours (502) otherwise. */
  private refusal(status: number, json: Record<string, unknown> | undefined): Error {
    const code = typeof json?.error === 'string' && KNOWN_ERRORS.has(json.error) ? json.error : undefined;
    this.logger.warn(`agent token exchange refused by the IdP: status ${status}, error ${code ?? 'unknown'}`);
    if (code === 'invalid_target') {
      return new OAuthError('invalid_target', 'The identity provider does not delegate to this resource');
    }
    if (code === 'invalid_scope') {
      return new OAuthError('invalid_scope', 'The identity provider does not delegate the requested scopes');
    }
    if (code === 'invalid_grant') {
      return new OAuthError('invalid_grant', 'The identity provider refused the subject token');
    }
    if (code !== undefined && status >= 400 && status < 500) {
      return upstream(
        `The identity provider refused the agent broker (${code}); check the alphaswarm-agent-broker client and the ${DELEGATION_PROFILE} profile`,
      );
    }
    return upstream('The identity provider failed the agent token exchange');
  }
}

function upstream(description: string): RequestError {
  return new RequestError('upstream_error', 502, description);
}

async function readLimited(response: Response): Promise<string | undefined> {
  const length = Number(response.headers.get('content-length') ?? '0');
  if (length > MAX_RESPONSE_BYTES) {
    await response.body?.cancel();
    return undefined;
  }
  try {
    const text = await response.text();
    return text.length > MAX_RESPONSE_BYTES ? undefined : text;
  } catch {
    return undefined;
  }
}
