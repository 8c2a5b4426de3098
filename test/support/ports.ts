import { randomInt } from 'node:crypto';
import { createServer } from 'node:net';

/**
 * Below Linux's ephemeral range (32768–60999 by default), where the kernel never hands out ports on its
 * own. A port from `listen(0)` comes from that range, and between closing the probe and the app binding
 * it, any outgoing connection (to Postgres, Redis, an issuer) could take it as its local port: with
 * several suites running, that race showed up as EADDRINUSE. Here only another test picking the same
 * random port in the same moment could collide.
 */
const RANGE = { from: 20_000, to: 32_000 } as const;

function probe(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A TCP port on 127.0.0.1 that was free a moment ago, outside the range outgoing connections use. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = randomInt(RANGE.from, RANGE.to);
    if (await probe(port)) return port;
  }
  throw new Error(`no free port found in ${RANGE.from}–${RANGE.to}`);
}
