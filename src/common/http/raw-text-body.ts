import { RouteConfig } from '@nestjs/platform-fastify';
import type { FastifyRequest } from 'fastify';

const RAW_TEXT_BODY = 'alphaswarmRawTextBody';

/**
 * The handler receives the request body as the text that was sent, whatever its JSON content type
 * (`application/json`, `application/x-ndjson`, …), up to `limitBytes` instead of the service's 1 MiB:
 * for webhooks whose body is not one JSON document (JSON lines) or is larger (a batch of log events).
 * The handler parses it and answers 400 itself when it does not parse.
 * @example `@RawTextBody(32 * 1024 * 1024) @Post('log-stream') ingest(@Body() body: string) {…}`
 */
export const RawTextBody = (limitBytes: number): MethodDecorator =>
  RouteConfig({ [RAW_TEXT_BODY]: limitBytes });

/** The byte limit a route declared with `@RawTextBody`, or undefined for every other route. */
export function rawTextBodyLimitOf(routeConfig: unknown): number | undefined {
  const limit = (routeConfig as Record<string, unknown> | undefined)?.[RAW_TEXT_BODY];
  return typeof limit === 'number' ? limit : undefined;
}

/** Whether this request's route takes its body as raw text. */
export function wantsRawTextBody(request: FastifyRequest): boolean {
  return rawTextBodyLimitOf(request.routeOptions?.config) !== undefined;
}
