import type { IncomingMessage } from 'node:http';
import { parse as parseForm } from 'node:querystring';
import type { Socket } from 'node:net';
import { type Type, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { createLogger, logDestination, RequestLogController } from './observability/logging';
import type { AppConfig } from './config/app-config';
import type { Logger as PinoLogger } from 'pino';
import type { DatabaseHandle } from './database/database';
import { RequestError } from './common/errors/request-error';
import { recordRouteMethods } from './common/http/allowed-methods';
import { rawTextBodyLimitOf, wantsRawTextBody } from './common/http/raw-text-body';
import { newRequestId, requestIdFrom } from './common/http/request-id';
import { AuthDecisions } from './identity/decisions/auth-decisions';
import { JwksKeyStore } from './identity/jwt/jwks-key-store';

/** The longest path parameter the router matches; a longer one is answered 414. */
const MAX_PARAM_LENGTH = 256;

/** Response headers a browser client must be able to read (RFC 6750 / RFC 9449 challenges, nonces). */
const EXPOSED_HEADERS = 'WWW-Authenticate, DPoP-Nonce, X-Request-Id';

function requestIdOf(request: IncomingMessage): string {
  return requestIdFrom(request.headers['x-request-id']);
}

/**
 * A JSON answer with a reason, written straight to a socket that has no request object to answer through
 * (the parser failed, or the method is CONNECT); the connection closes after it.
 */
function answerOnSocket(socket: Socket, status: 400 | 431, description: string): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = JSON.stringify({
    error: 'invalid_request',
    error_description: description,
    reason: 'invalid_request',
    request_id: newRequestId(),
  });
  socket.end(
    `HTTP/1.1 ${status} ${status === 431 ? 'Request Header Fields Too Large' : 'Bad Request'}\r\n` +
      `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/**
 * Errors Node's HTTP parser raises before a request exists (oversized headers, garbage on the wire) still
 * get a JSON answer with a reason, instead of a bare status line.
 */
function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'HPE_HEADER_OVERFLOW') answerOnSocket(socket, 431, 'The request headers are too large');
  else answerOnSocket(socket, 400, 'The request could not be parsed');
}

/**
 * CONNECT asks for a tunnel, which only a proxy makes. Node hands it to a `connect` listener and, without
 * one, drops the connection unanswered; it is answered 400 instead, as other malformed requests are.
 */
function answerConnect(_request: IncomingMessage, socket: Socket): void {
  answerOnSocket(socket, 400, 'CONNECT is not served: this is not a proxy');
}

/**
 * RFC 9112 §3.2: an HTTP/1.1 request without a `Host` header is answered 400. Node's own check does that
 * with an empty body, so it is turned off (`requireHostHeader: false`) and made here, in the service's
 * shape. (An empty `Host` is allowed: it is what a client sends for a URI without an authority.)
 */
function lacksHost(request: FastifyRequest): boolean {
  return request.headers.host === undefined && request.raw.httpVersion === '1.1';
}

/** Content types of JSON lines, accepted only by `@RawTextBody` routes (which parse them). */
const JSON_LINES_TYPES = ['application/x-ndjson', 'application/jsonl', 'application/jsonlines'];

/**
 * Body parsers are ours (Nest's are off): a body that does not parse is refused with `malformed_body`,
 * which Nest's own mapping would flatten into an anonymous 400.
 */
function registerBodyParsers(app: NestFastifyApplication): void {
  const fastify = app.getHttpAdapter().getInstance();
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  // A route marked @RawTextBody gets its own body limit, and its body as text (see there).
  fastify.addHook('onRoute', (route) => {
    const limit = rawTextBodyLimitOf(route.config);
    if (limit !== undefined) route.bodyLimit = limit;
  });
  fastify.addContentTypeParser(JSON_LINES_TYPES, { parseAs: 'string' }, (request, body, done) => {
    if (wantsRawTextBody(request)) done(null, body);
    else done(new RequestError('unsupported_media_type', 415, 'Unsupported content type'), undefined);
  });
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (wantsRawTextBody(request)) {
      done(null, body);
      return;
    }
    void parseJson(request, body as string, (error: Error | null, value?: unknown) => {
      if (error)
        done(new RequestError('malformed_body', 400, 'The request body is not valid JSON'), undefined);
      else done(null, value);
    });
  });
  fastify.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string' },
    (_request, body, done) => {
      done(null, { ...parseForm(body as string) });
    },
  );
}

/**
 * Errors Fastify's router raises before Nest sees the request (a bad percent-escape, a path parameter
 * over the length limit) answer in the service's error shape with the router's status, and never echo
 * the path back: it is the caller's input, and may be long or hostile.
 */
function answerFrameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const status =
    error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500
      ? error.statusCode
      : 400;
  void reply
    .status(status)
    .header('x-request-id', request.id)
    .header('cache-control', 'no-store')
    .type('application/json; charset=utf-8')
    .send({
      error: 'invalid_request',
      error_description:
        status === 414 ? 'A path segment is too long' : 'The request URL could not be parsed',
      reason: 'invalid_request',
      request_id: request.id,
    });
}

export function fastifyAdapter(logger: PinoLogger): FastifyAdapter {
  return new FastifyAdapter({
    loggerInstance: logger,
    logController: new RequestLogController(),
    genReqId: requestIdOf,
    requestIdHeader: false,
    clientErrorHandler: answerClientError,
    frameworkErrors: answerFrameworkError,
    http: { requireHostHeader: false },
    bodyLimit: 1024 * 1024,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
  });
}

/** Pipes, docs, hooks and shutdown: everything `main.ts` and the e2e tests must share. */
export function configureApp(app: NestFastifyApplication): NestFastifyApplication {
  app.useLogger(app.get(Logger));
  // The logs buffered while the modules were built go to the service's logger (see startApp).
  app.flushLogs();
  app.useGlobalPipes(
    new ValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      forbidUnknownValues: true,
    }),
  );
  app.enableShutdownHooks();
  registerBodyParsers(app);
  const fastify = app.getHttpAdapter().getInstance();
  recordRouteMethods(fastify, MAX_PARAM_LENGTH);
  // Declared up front so every request object has the same shape (V8 keeps property access fast).
  fastify.decorateRequest('principal', null);
  fastify.decorateRequest('authzCounted', false);
  fastify.decorateRequest('orgAccess', null);
  fastify.server.on('connect', answerConnect);
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.header('x-request-id', request.id);
    if (lacksHost(request)) {
      done(new RequestError('invalid_request', 400, 'The request has no Host header'));
      return;
    }
    // A browser client (CORS) may read the challenges and the DPoP nonce it must answer with.
    if (request.headers.origin !== undefined) {
      void reply.header('access-control-expose-headers', EXPOSED_HEADERS);
    }
    done();
  });
  const decisions = app.get(AuthDecisions);
  fastify.addHook('onResponse', (request, _reply, done) => {
    decisions.settle(request);
    done();
  });
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('AlphaSwarm Identity')
      .setDescription('Identity and authorization service of the AlphaSwarm platform')
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'openapi.json' });
  return app;
}

/** Builds, configures and starts the service on an open database; the same path in main and in tests. */
export async function startApp(
  config: AppConfig,
  database: DatabaseHandle,
  /** Extra modules mounted beside the service's own (test fixtures). */
  extra: readonly Type[] = [],
): Promise<NestFastifyApplication> {
  const logger = createLogger(config, logDestination());
  const module = AppModule.forRoot(config, database, extra, logger);
  const app = await NestFactory.create<NestFastifyApplication>(module, fastifyAdapter(logger), {
    bufferLogs: true,
    // A provider that fails to build (a ConfigError from a factory) must end the boot with main's one
    // line: flushing the buffer to Nest's console logger would print the error again with its stack.
    autoFlushLogs: false,
    abortOnError: false,
    bodyParser: false,
  });
  try {
    configureApp(app);
    await app.listen({ port: config.http.port, host: config.http.host });
  } catch (error) {
    await app.close();
    throw error;
  }
  // After listen: under the local provider the JWKS is served by this very process.
  app.get(JwksKeyStore).startWarming();
  return app;
}
