import { Writable } from 'node:stream';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { AppModule } from '../../src/app.module';
import { loadConfig } from '../../src/config/app-config';
import { configureApp, fastifyAdapter } from '../../src/configure-app';
import { openDatabase } from '../../src/database/database';
import { createLogger } from '../../src/observability/logging';
import { SCHEMA } from '../../src/schema';
import { workerDatabaseUrl } from './db';
import { freePort } from './ports';
import { workerRedisPrefix } from './redis-prefix';
import { REDIS_URL } from './services';

export interface CapturedApp {
  http(): ReturnType<typeof request>;
  /** Every log line the service wrote, raw, in order. */
  readonly lines: string[];
  close(): Promise<void>;
}

/**
 * The service booted like `startTestApp`, but logging at `trace` into memory: for tests that must prove
 * something never reaches the logs.
 */
export async function startCapturedApp(env: Record<string, string>): Promise<CapturedApp> {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  const config = loadConfig({
    NODE_ENV: 'test',
    ALPHASWARM_LOG_LEVEL: 'trace',
    DATABASE_URL: await workerDatabaseUrl(),
    REDIS_URL,
    ALPHASWARM_JOBS_QUEUE_PREFIX: workerRedisPrefix(),
    PORT: String(await freePort()),
    ...env,
  });
  const database = await openDatabase(config, SCHEMA);
  const logger = createLogger(config, sink);
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot(config, database, [], logger),
    fastifyAdapter(logger),
    { bufferLogs: true, abortOnError: false, bodyParser: false },
  );
  configureApp(app);
  await app.listen({ port: config.http.port, host: config.http.host });
  const url = `http://127.0.0.1:${config.http.port}`;
  return { http: () => request(url), lines, close: () => app.close() };
}
