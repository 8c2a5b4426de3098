import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Inject } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { QueryFailedError } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { AuthDecisions } from '../decisions/auth-decisions';
import { isDpopScheme } from '../dpop/dpop-scheme';
import { AuthError, OAuthError } from './auth-error';
import type { CredentialReason, RequestReason } from '../../common/errors/request-reasons';
import { RequestError } from '../../common/errors/request-error';
import { allowedMethodsOf } from '../../common/http/allowed-methods';

interface ErrorBody {
  error: string;
  error_description: string;
  reason: string;
  request_id: string;
}

const REQUEST_ERRORS: Record<number, [RequestReason | CredentialReason, string]> = {
  400: ['invalid_request', 'The request is invalid'],
  404: ['not_found', 'No such route'],
  405: ['method_not_allowed', 'Method not allowed'],
  409: ['conflict', 'The request conflicts with what is stored'],
  413: ['payload_too_large', 'The request body is too large'],
  415: ['unsupported_media_type', 'Unsupported content type'],
  429: ['rate_limited', 'Too many requests'],
  431: ['invalid_request', 'The request headers are too large'],
  502: ['upstream_error', 'An upstream service failed'],
  503: ['service_unavailable', 'The service is not available'],
};

/**
 * The only writer of error responses. `AuthError` → 401/403 with an RFC 6750 `WWW-Authenticate` header;
 * `OAuthError` → RFC 6749 token-endpoint error; client errors (validation, unparsable bodies, unknown
 * routes, a method the path does not take: 405 with `Allow`) → 4xx with a reason; anything else →
 * logged with the request id and answered `500 server_error`, never with a stack or a library message.
 * (The parser's refusals, which have no request to answer through, are written in the same shape by
 * `configure-app.ts`.)
 */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  private readonly dpop: AppConfig['auth']['dpop'];
  /** `algs="…"` of every DPoP challenge (RFC 9449 §7.1). */
  private readonly dpopAlgs: Record<string, string>;

  constructor(
    private readonly decisions: AuthDecisions,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.dpop = config.auth.dpop;
    this.dpopAlgs = { algs: config.auth.dpop.algorithms.join(' ') };
  }

  catch(exception: unknown, host: ArgumentsHost): void {
    const request = host.switchToHttp().getRequest<FastifyRequest>();
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const requestId = String(request.id);

    if (exception instanceof AuthError) {
      this.decisions.deny(request, exception.reason);
      const challenges = this.challengesOf(exception, request.headers.authorization);
      if (challenges.length > 0) void reply.header('www-authenticate', challenges);
      send(reply, exception.status, {
        error: bodyErrorOf(exception),
        error_description: exception.message,
        reason: exception.reason,
        request_id: requestId,
      });
      return;
    }

    if (exception instanceof OAuthError) {
      if (exception.status === 401) void reply.header('www-authenticate', 'Basic realm="alphaswarm"');
      send(reply, exception.status, {
        error: exception.error,
        error_description: exception.message,
        reason: exception.error,
        request_id: requestId,
      });
      return;
    }

    if (exception instanceof RequestError) {
      send(reply, exception.status, {
        error:
          exception.status === 403
            ? 'forbidden'
            : (REQUEST_ERRORS[exception.status]?.[0] ?? 'invalid_request'),
        error_description: exception.message,
        reason: exception.reason,
        request_id: requestId,
      });
      return;
    }

    const constraint = constraintErrorOf(exception);
    if (constraint) {
      send(reply, constraint.status, {
        error: constraint.reason,
        error_description: constraint.description,
        reason: constraint.reason,
        request_id: requestId,
      });
      return;
    }

    let status = clientStatusOf(exception);
    if (status === 404) {
      // A path served under other methods: RFC 9110 §15.5.6 asks for 405 and the methods it takes.
      const allowed = allowedMethodsOf(request);
      if (allowed.length > 0) {
        void reply.header('allow', allowed.join(', '));
        status = 405;
      }
    }
    if (status !== undefined) {
      const [reason, description] = REQUEST_ERRORS[status] ?? REQUEST_ERRORS[400];
      send(reply, status, {
        error: reason,
        error_description: validationMessage(exception) ?? description,
        reason,
        request_id: requestId,
      });
      return;
    }

    request.log.error({ err: exception }, 'unhandled error');
    send(reply, 500, {
      error: 'server_error',
      error_description: 'The service failed to handle the request',
      reason: 'server_error',
      request_id: requestId,
    });
  }

  /**
   * The `WWW-Authenticate` challenges of a refusal: one per scheme this request could have succeeded
   * with, the error attributes only on the scheme the client used (RFC 9449 §7.1). Without DPoP, the
   * RFC 6750 Bearer challenge alone. Bearer is not offered where it cannot pass (DPoP required, or a
   * bound token / a `@RequireDpop` route); a client that used it there is told, as RFC 6750 §3.1 asks
   * for an unsupported method, only what to use instead.
   */
  private challengesOf(error: AuthError, authorization: string | string[] | undefined): string[] {
    const attributes = challengeAttributesOf(error);
    if (!this.dpop.enabled) return attributes ? [challenge('Bearer', attributes)] : [];
    if (!attributes) return [];
    const bearerAccepted = !this.dpop.required && error.reason !== 'dpop_required';
    const bare = error.reason === 'missing_token' || error.reason === 'dpop_required';
    const usedDpop = isDpopScheme(authorization);
    // A 403 is final: it names what is missing on the scheme used, and offers no other way in.
    const offerOther = error.status !== 403;
    // Where to learn about the resource (RFC 9728 §5.1, an MCP server's) is not an error detail: every
    // challenge carries it, whichever scheme the client used.
    const metadata = error.challenge.resource_metadata;
    const routeOwn: Record<string, string> = metadata === undefined ? {} : { resource_metadata: metadata };
    const challenges: string[] = [];
    if (bearerAccepted && (usedDpop ? offerOther : true)) {
      challenges.push(challenge('Bearer', usedDpop || bare ? routeOwn : attributes));
    }
    if (usedDpop || offerOther) {
      challenges.push(
        challenge(
          'DPoP',
          usedDpop && !bare ? { ...attributes, ...this.dpopAlgs } : { ...routeOwn, ...this.dpopAlgs },
        ),
      );
    }
    return challenges;
  }
}

function send(reply: FastifyReply, status: number, body: ErrorBody): void {
  void reply
    .status(status)
    .header('cache-control', 'no-store')
    .type('application/json; charset=utf-8')
    .send(body);
}

function bodyErrorOf(error: AuthError): string {
  if (error.status === 400) return 'invalid_request';
  if (error.reason === 'missing_token') return 'unauthorized';
  // RFC 9449 §7.1 error codes: `use_dpop_nonce` arrives in the challenge, every other proof failure is one.
  if (error.challenge.error !== undefined) return error.challenge.error;
  if (error.reason === 'invalid_dpop_proof' || error.reason === 'dpop_replay') return 'invalid_dpop_proof';
  if (error.reason === 'insufficient_scope' || error.reason === 'insufficient_user_authentication') {
    return error.reason;
  }
  return error.status === 401 ? 'invalid_token' : 'forbidden';
}

/**
 * RFC 6750 §3: the attributes of the challenge (none when no token was sent); `insufficient_scope`
 * names the scope. Undefined when the refusal carries no challenge (a final 403).
 */
function challengeAttributesOf(error: AuthError): Record<string, string> | undefined {
  // A route's own attributes (an MCP server's RFC 9728 `resource_metadata`) ride along in every case.
  if (error.reason === 'missing_token') return { ...error.challenge };
  let code: string;
  if (error.status === 400) code = 'invalid_request';
  else if (error.reason === 'insufficient_scope') code = error.reason;
  // RFC 9470 challenges only a caller who can step up (401); a 403 here is final.
  else if (error.reason === 'insufficient_user_authentication' && error.status === 401) code = error.reason;
  else if (error.reason === 'invalid_dpop_proof' || error.reason === 'dpop_replay')
    code = 'invalid_dpop_proof';
  else if (error.status === 401) code = 'invalid_token';
  else return undefined;
  return { error: code, error_description: error.message, ...error.challenge };
}

function challenge(scheme: string, attributes: Record<string, string>): string {
  const pairs = Object.entries(attributes).map(([name, value]) => `${name}="${value.replace(/["\\]/g, '')}"`);
  return pairs.length === 0 ? scheme : `${scheme} ${pairs.join(', ')}`;
}

/**
 * A write the database refused for what it says (a duplicate name, a row that vanished under a
 * concurrent delete): the caller's conflict, not a server failure. Nothing was stored.
 */
function constraintErrorOf(
  exception: unknown,
): { status: number; reason: 'conflict' | 'invalid_request'; description: string } | undefined {
  if (!(exception instanceof QueryFailedError)) return undefined;
  const code = (exception.driverError as { code?: unknown } | undefined)?.code;
  if (code === '23505') return { status: 409, reason: 'conflict', description: 'It already exists' };
  if (code === '23503') {
    return { status: 409, reason: 'conflict', description: 'It refers to something that does not exist' };
  }
  if (code === '23514' || code === '22P02' || code === '22001') {
    return { status: 400, reason: 'invalid_request', description: 'A value is out of range' };
  }
  return undefined;
}

/** The 4xx status of a client error (Nest's HttpException or Fastify's own errors), else undefined. */
function clientStatusOf(exception: unknown): number | undefined {
  let status: unknown;
  if (exception instanceof HttpException) status = exception.getStatus();
  else if (typeof exception === 'object' && exception !== null)
    status = (exception as { statusCode?: unknown }).statusCode;
  return typeof status === 'number' && status >= 400 && status < 500 ? status : undefined;
}

/** class-validator messages describe our own DTO fields, so they are safe to return. */
function validationMessage(exception: unknown): string | undefined {
  if (!(exception instanceof HttpException) || exception.getStatus() !== 400) return undefined;
  const response = exception.getResponse();
  const message =
    typeof response === 'object' && response !== null
      ? (response as { message?: unknown }).message
      : undefined;
  if (Array.isArray(message) && message.every((item) => typeof item === 'string')) return message.join('; ');
  return undefined;
}
