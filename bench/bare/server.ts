import 'reflect-metadata';
import { Controller, Get, HttpCode, Module, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';

/**
 * The yardstick for the service's own per-request cost: NestJS 11 on Fastify with one public route and
 * nothing else (no logger, no hooks, no pipes, no guards). The service's public route, (a), is the same
 * route with everything the service adds around a handler; (a)/(z) is what that costs. Unlike (a), this
 * does not move when the service changes, so it can anchor the protected route's target too. Its POST,
 * (y), is the floor of every route that reads a body: (y)/(z) is what Fastify and Nest charge for one.
 */
@Controller('bench')
class BareController {
  @Get('public')
  open(): { ok: true } {
    return { ok: true };
  }

  /** The same as a POST with a JSON body, (y): what reading a body costs the framework itself. */
  @Post('public')
  @HttpCode(200)
  openPost(): { ok: true } {
    return { ok: true };
  }
}

@Module({ controllers: [BareController] })
class BareModule {}

async function main(): Promise<void> {
  const port = Number.parseInt(process.env.BARE_PORT ?? '', 10);
  if (!Number.isInteger(port) || port <= 0) throw new Error('BARE_PORT is required');
  const app = await NestFactory.create<NestFastifyApplication>(BareModule, new FastifyAdapter(), {
    logger: false,
    abortOnError: false,
  });
  app.enableShutdownHooks();
  await app.listen({ port, host: '127.0.0.1' });
}

main().catch((error: unknown) => {
  process.stderr.write(`bare server: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
