import { connect } from 'node:net';

export const POSTGRES = { host: '127.0.0.1', port: 5432 };
export const REDIS = { host: '127.0.0.1', port: 6379 };
export const REDIS_URL = `redis://${REDIS.host}:${REDIS.port}`;

export function adminDatabaseUrl(database = 'postgres'): string {
  return `postgres://postgres@${POSTGRES.host}:${POSTGRES.port}/${database}`;
}

/** Resolves true when something accepts TCP connections on host:port within the timeout. */
export function reachable(host: string, port: number, timeoutMs = 1500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
