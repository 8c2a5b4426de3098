import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoggerModule } from 'nestjs-pino';
import type { AppConfig } from '../config/app-config';

/**
 * JSON logs through pino. Every line of a request carries its id (`req.id`). Requests are logged with
 * an allow-list serializer: method, path and id only — never headers (tokens, cookies) or query strings.
 */
export function loggingModule(config: AppConfig) {
  return LoggerModule.forRoot({
    pinoHttp: {
      level: config.logLevel,
      // Fastify already chose the id (genReqId) and stored it on the raw request; pino-http reuses it.
      genReqId: (request: IncomingMessage) => (request as IncomingMessage & { id: string }).id,
      serializers: {
        req: (request: IncomingMessage & { id?: string }) => ({
          id: request.id,
          method: request.method,
          path: (request.url ?? '').split('?')[0],
        }),
        res: (response: ServerResponse) => ({ statusCode: response.statusCode }),
      },
      customSuccessMessage: () => 'request completed',
      customErrorMessage: () => 'request failed',
      redact: {
        paths: [
          'req.headers',
          'headers.authorization',
          '*.authorization',
          '*.access_token',
          '*.client_secret',
        ],
        censor: '[redacted]',
      },
    },
  });
}
