import 'reflect-metadata';
import {
  type CanActivate,
  Controller,
  type ExecutionContext,
  Get,
  Injectable,
  Module,
  SetMetadata,
  type Type,
} from '@nestjs/common';
import { APP_GUARD, NestFactory, Reflector } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { type FastifyReply, type FastifyRequest, LogController } from 'fastify';
import pino from 'pino';
import { HandlerMetadata } from '../../src/identity/route-metadata';
import { logDestination, TurnAccessLines } from '../../src/observability/logging';

/**
 * The design's floor, (x): the bare app (z) plus only what the design asks of every request, done the
 * cheapest way the named libraries allow — six global guards (the service has six: authentication,
 * DPoP, M2M-only, scope, step-up, organization), each reading its route metadata once per handler and
 * letting a public route through, and one pino line per request with its id, route template, status
 * and time, written by Fastify's request logging (its per-request child logger), formatted at the end
 * of the event-loop turn as the service's are, to the service's batched stdout writer. No request id
 * header, no counters, no audit hook, Fastify's own bare counter ids: every saving is on the floor's
 * side, so (x)/(z) is a ceiling for (a)/(z), whatever the service does.
 */
const PUBLIC_ROUTE = 'floor:public';
const GUARDS = 6;

function metadataGuard(): Type<CanActivate> {
  @Injectable()
  class MetadataGuard implements CanActivate {
    // The service's guards read their decorators through the same per-handler cache.
    private readonly open: HandlerMetadata<boolean>;

    constructor(reflector: Reflector) {
      this.open = new HandlerMetadata(
        (targets) => reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets) === true,
      );
    }

    canActivate(context: ExecutionContext): boolean {
      return this.open.of(context);
    }
  }
  return MetadataGuard;
}

const guards = Array.from({ length: GUARDS }, metadataGuard);

@Controller('bench')
class FloorController {
  @SetMetadata(PUBLIC_ROUTE, true)
  @Get('public')
  open(): { ok: true } {
    return { ok: true };
  }
}

@Module({
  controllers: [FloorController],
  providers: [...guards, ...guards.map((guard) => ({ provide: APP_GUARD, useExisting: guard }))],
})
class FloorModule {}

interface FloorLine {
  readonly route: string;
  readonly status: number;
  readonly responseTime: number;
}

/**
 * Fastify's request logging, one line a request instead of its default two (received, completed),
 * formatted at the end of the event-loop turn with the turn's other lines, as the service does.
 */
class OneLinePerRequest extends LogController {
  private readonly lines = new TurnAccessLines<FloorLine>();

  override incomingRequest(): void {}

  override requestCompleted(_error: unknown, request: FastifyRequest, reply: FastifyReply): void {
    this.lines.add(reply.log, {
      route: request.routeOptions.url ?? 'unmatched',
      status: reply.statusCode,
      responseTime: reply.elapsedTime,
    });
  }
}

/** Starts the floor app on `port` (127.0.0.1), in this process: its own, or the service's (bench/floor-in-service). */
export async function startFloor(port: number): Promise<void> {
  const adapter = new FastifyAdapter({
    loggerInstance: pino({ level: 'info' }, logDestination()),
    logController: new OneLinePerRequest(),
  });
  const app = await NestFactory.create<NestFastifyApplication>(FloorModule, adapter, {
    logger: false,
    abortOnError: false,
  });
  app.enableShutdownHooks();
  await app.listen({ port, host: '127.0.0.1' });
}

/** FLOOR_PORT as a port number; throws naming the variable otherwise. */
export function floorPort(): number {
  const port = Number.parseInt(process.env.FLOOR_PORT ?? '', 10);
  if (!Number.isInteger(port) || port <= 0) throw new Error('FLOOR_PORT is required');
  return port;
}

if (require.main === module) {
  Promise.resolve()
    .then(() => startFloor(floorPort()))
    .catch((error: unknown) => {
      process.stderr.write(`floor server: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    });
}
