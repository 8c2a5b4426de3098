import { METHODS } from 'node:http';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { EdgeConfig } from '../../config/edge-config';
import { parseJsonWithoutDuplicates } from '../../identity/jwt/strict-json';
import { type EdgeRequest, fromCheckRequest, fromRawHeaders, InvalidCheckRequest } from '../check-request';
import {
  type EdgeDecision,
  EdgeAuthorizer,
  type EdgeDeny,
  edgeUnavailable,
  IDENTITY_HEADERS,
  invalidCheckRequest,
} from '../edge-authorizer';
import { EDGE_CONFIG } from '../edge-config.token';
import { EdgeDecisions, type EdgeTransport } from '../edge-decisions';

/** The runbook's JSON form of the check. */
export const JSON_CHECK_PATH = '/ext_authz/v3/check';
/** Bodies of check requests larger than this are refused (Envoy sends headers, not payloads). */
const MAX_CHECK_BODY = 256 * 1024;

/**
 * The two HTTP doors of the edge check (docs/edge.md), registered as one Fastify plugin rather than as
 * Nest controllers (ADR 0013): a check must read any method and any body itself, so that a body that is
 * not JSON, or a forwarded `content-type` with no body, is a counted deny with a reason rather than the
 * framework's parse error; and no API guard applies, since the check is its own authentication.
 *
 * - `POST /ext_authz/v3/check`: an Envoy `CheckRequest` as JSON. 200 allows, with the identity headers
 *   as response headers and in the body; 400/401/403/503 deny, with `WWW-Authenticate` and the reason.
 * - `<prefix>/*`, every method: Envoy's HTTP service mode. 200 allows, the identity headers are the ones
 *   Envoy copies upstream (`allowed_upstream_headers`), `x-envoy-auth-headers-to-remove` names the
 *   client-sent ones to strip; any other status goes to the client as it is.
 */
@Injectable()
export class EdgeHttpRoutes implements OnModuleInit {
  constructor(
    private readonly adapter: HttpAdapterHost,
    @Inject(EDGE_CONFIG) private readonly config: EdgeConfig,
    private readonly authorizer: EdgeAuthorizer,
    private readonly decisions: EdgeDecisions,
  ) {}

  onModuleInit(): void {
    const fastify = this.adapter.httpAdapter.getInstance<FastifyInstance>();
    const prefix = this.config.httpPathPrefix;
    // Envoy forwards the original method as it is (WebDAV's PROPFIND, CalDAV's REPORT, …): each one
    // Node parses must reach the check, not Fastify's 404. CONNECT never reaches a request handler.
    for (const method of METHODS) {
      if (method !== 'CONNECT' && !fastify.supportedMethods.includes(method)) {
        fastify.addHttpMethod(method, { hasBody: true });
      }
    }
    void fastify.register((scope: FastifyInstance, _options: unknown, done: (error?: Error) => void) => {
      // In this scope only: every body arrives as bytes, whatever its content type (or none).
      scope.removeAllContentTypeParsers();
      const asBytes = { parseAs: 'buffer', bodyLimit: MAX_CHECK_BODY } as const;
      const keepBytes = (_request: FastifyRequest, body: Buffer, next: (error: null, body: Buffer) => void) =>
        next(null, body);
      // The JSON form's own type is named as well, though `*` would take it: Fastify remembers the parser
      // it found for a named type, where for `*` it parses the content-type header again on every request.
      scope.addContentTypeParser('application/json', asBytes, keepBytes);
      scope.addContentTypeParser('*', asBytes, keepBytes);
      scope.setErrorHandler((error: { statusCode?: number }, request, reply) => {
        // The framework refusing the request (an oversized or unreadable body) is a bad check; anything
        // else failed inside. Either is a counted deny, never an allow and never a 500.
        const status = error.statusCode ?? 500;
        const decision = status >= 400 && status < 500 ? invalidCheckRequest() : edgeUnavailable();
        this.decisions.record(decision, undefined, transportOf(request, prefix), String(request.id));
        this.sendDeny(reply, decision, String(request.id));
      });
      scope.post(JSON_CHECK_PATH, (request, reply) => this.checkJson(request, reply));
      scope.all(prefix, (request, reply) => this.checkForwarded(request, reply));
      scope.all(`${prefix}/*`, (request, reply) => this.checkForwarded(request, reply));
      done();
    });
  }

  /** Not `async`: a check decided at once (a token verified before) is answered in the same turn. */
  private checkJson(request: FastifyRequest, reply: FastifyReply): Promise<void> | undefined {
    const requestId = String(request.id);
    let check: EdgeRequest;
    try {
      const parsed = fromCheckRequest(parseJson(request.body));
      check = parsed.sourceIp === undefined ? { ...parsed, sourceIp: request.ip } : parsed;
    } catch (error) {
      if (!(error instanceof InvalidCheckRequest)) throw error;
      const decision = invalidCheckRequest();
      this.decisions.record(decision, undefined, 'json', requestId);
      this.sendDeny(reply, decision, requestId);
      return undefined;
    }
    return whenDecided(this.authorizer.decide(check, request.raw.socket), (decision) =>
      this.answerJson(reply, decision, check, requestId),
    );
  }

  private answerJson(
    reply: FastifyReply,
    decision: EdgeDecision,
    check: EdgeRequest,
    requestId: string,
  ): void {
    this.decisions.record(decision, check, 'json', requestId);
    if (!decision.allowed) {
      this.sendDeny(reply, decision, requestId);
      return;
    }
    this.setIdentityHeaders(reply, decision);
    void reply
      .status(200)
      .header('cache-control', 'no-store')
      .send({
        decision: 'allow',
        reason: decision.reason,
        headers: Object.fromEntries(decision.set),
        headers_to_remove: decision.remove,
      });
  }

  /** Not `async`, for the same reason as `checkJson`. */
  private checkForwarded(request: FastifyRequest, reply: FastifyReply): Promise<void> | undefined {
    const requestId = String(request.id);
    const prefix = this.config.httpPathPrefix;
    const path = request.url.length > prefix.length ? request.url.slice(prefix.length) : '/';
    const check = fromRawHeaders(request.raw.rawHeaders, request.method, path, request.ip);
    return whenDecided(this.authorizer.decide(check, request.raw.socket), (decision) =>
      this.answerForwarded(reply, decision, check, requestId),
    );
  }

  private answerForwarded(
    reply: FastifyReply,
    decision: EdgeDecision,
    check: EdgeRequest,
    requestId: string,
  ): void {
    this.decisions.record(decision, check, 'http', requestId);
    if (!decision.allowed) {
      this.sendDeny(reply, decision, requestId);
      return;
    }
    // Envoy forwards only the headers its `allowed_headers` names: a client's copy of an identity header
    // we do not set this time may never have reached us. Those names are always removed, seen or not.
    const set = new Set(decision.set.map(([name]) => name));
    const unseen = IDENTITY_HEADERS.filter((name) => !set.has(name) && !decision.remove.includes(name));
    this.setIdentityHeaders(reply, decision, unseen);
    void reply.status(200).header('cache-control', 'no-store').send();
  }

  private setIdentityHeaders(
    reply: FastifyReply,
    decision: Extract<EdgeDecision, { allowed: true }>,
    alsoRemove: readonly string[] = [],
  ): void {
    for (const [name, value] of decision.set) void reply.header(name, value);
    const remove = [...decision.remove, ...alsoRemove];
    if (remove.length > 0) void reply.header('x-envoy-auth-headers-to-remove', remove.join(','));
  }

  private sendDeny(reply: FastifyReply, decision: EdgeDeny, requestId: string): void {
    if (decision.challenge !== undefined) void reply.header('www-authenticate', decision.challenge);
    void reply
      .status(decision.status)
      .header('cache-control', 'no-store')
      .type('application/json; charset=utf-8')
      .send(denyBody(decision, requestId));
  }
}

/**
 * Answers with the decision in the same turn when it was made at once (a token verified before), after
 * it otherwise; the promise, when there is one, is the route handler's, so Fastify sees its failure.
 */
function whenDecided(
  decision: EdgeDecision | Promise<EdgeDecision>,
  answer: (decision: EdgeDecision) => void,
): Promise<void> | undefined {
  if (decision instanceof Promise) return decision.then(answer);
  answer(decision);
  return undefined;
}

/** The JSON body of a deny, in the service's error shape (docs/errors.md). */
export function denyBody(decision: EdgeDeny, requestId: string): Record<string, string> {
  return {
    error: errorOf(decision),
    error_description: decision.description,
    reason: decision.reason,
    request_id: requestId,
  };
}

function errorOf(decision: EdgeDeny): string {
  if (decision.reason === 'missing_token') return 'unauthorized';
  switch (decision.status) {
    case 400:
      return 'invalid_request';
    case 401:
      return 'invalid_token';
    case 403:
      return 'access_denied';
    case 503:
      return 'temporarily_unavailable';
  }
}

/**
 * The body as JSON. A member name given twice (`{"authorization": "…", "authorization": "…"}`) is
 * refused: JSON.parse would keep the last, another reader the first, and which one Envoy meant is a guess.
 */
function parseJson(body: unknown): unknown {
  if (!Buffer.isBuffer(body) || body.length === 0) throw new InvalidCheckRequest('no body');
  const value = parseJsonWithoutDuplicates(body.toString('utf8'));
  if (value === undefined) throw new InvalidCheckRequest('the body is not JSON, or repeats a member');
  return value;
}

function transportOf(request: FastifyRequest, prefix: string): EdgeTransport {
  return request.url.startsWith(prefix) ? 'http' : 'json';
}
