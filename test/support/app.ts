import type { Type } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { type AppConfig, loadConfig } from '../../src/config/app-config';
import { startApp } from '../../src/configure-app';
import { openDatabase } from '../../src/database/database';
import { SCHEMA } from '../../src/schema';
import { workerDatabaseUrl } from './db';
import { freePort } from './ports';
import { workerRedisPrefix } from './redis-prefix';
import { REDIS_URL } from './services';
import { waitFor } from './wait';

export interface TestApp {
  readonly url: string;
  readonly app: NestFastifyApplication;
  readonly config: AppConfig;
  http(): ReturnType<typeof request>;
  /** The Prometheus exposition text of this instance. */
  metrics(): Promise<string>;
  close(): Promise<void>;
}

/**
 * Boots the real service (config → database → Nest on Fastify → listen) on this worker's Postgres and
 * the real Redis, on a free port. `env` is laid over a test baseline; `extra` mounts fixture modules.
 */
export async function startTestApp(env: Record<string, string> = {}, extra: Type[] = []): Promise<TestApp> {
  // A port is free when picked and taken about a second later, after the boot: another suite picking
  // the same one in between (rare, seen once in CI) fails this boot with EADDRINUSE. Another port then.
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await bootOnFreePort(env, extra);
    } catch (error) {
      if (attempt >= 3 || (error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    }
  }
}

async function bootOnFreePort(env: Record<string, string>, extra: Type[]): Promise<TestApp> {
  const port = await freePort();
  const config = loadConfig({
    NODE_ENV: 'test',
    ALPHASWARM_LOG_LEVEL: 'silent',
    DATABASE_URL: await workerDatabaseUrl(),
    REDIS_URL,
    // This worker's, of this run: deleted by globalTeardown, never shared with another run on this Redis.
    ALPHASWARM_JOBS_QUEUE_PREFIX: workerRedisPrefix(),
    PORT: String(port),
    ...env,
  });
  const database = await openDatabase(config, SCHEMA);
  // On a failed listen, startApp closes the app, and with it the database.
  const app = await startApp(config, database, extra);
  const url = `http://127.0.0.1:${config.http.port}`;
  return {
    url,
    app,
    config,
    http: () => request(url),
    metrics: async () => (await request(url).get('/metrics')).text,
    close: () => app.close(),
  };
}

/** `waitFor` with the timeout as a plain argument, for the suites written against this spelling. */
export async function eventually(probe: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  await waitFor(probe, { timeoutMs });
}

/** The value of one counter sample in Prometheus text, 0 when absent. */
export function sample(metrics: string, name: string, labels: Record<string, string>): number {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  for (const line of metrics.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const labelText = line.slice(name.length + 1, line.indexOf('}'));
    if (wanted.every((pair) => labelText.split(',').includes(pair))) return Number(line.split(' ').pop());
  }
  return 0;
}
