import { credentials, type Client, type ServiceError } from '@grpc/grpc-js';
import { authorizationService } from '../src/edge/grpc/edge-grpc-server';
import { keepAwake } from './keep-awake';
import type { LoadResult } from './load';

/** What the orchestrator sends on stdin (JSON): one gRPC `Check` load run. */
export interface GrpcLoadParams {
  /** host:port of an `envoy.service.auth.v3.Authorization` server. */
  readonly target: string;
  /** Checks in flight at once (over one HTTP/2 connection, as Envoy multiplexes them). */
  readonly concurrency: number;
  readonly duration: number;
  /** Headers of the checked request (e.g. the bearer token). */
  readonly headers: Record<string, string>;
}

type CheckClient = Client & {
  Check(
    request: unknown,
    callback: (error: ServiceError | null, response: { status?: { code?: number } }) => void,
  ): void;
};

/**
 * The gRPC load generator: a grpc-js client loop in its own process (pinned to the load CPU like
 * load.ts), so the ext_authz server and its do-nothing ceiling are measured from outside. An OK
 * CheckResponse counts as "200", any other status code as "denied", a transport error as an error.
 */
async function main(): Promise<void> {
  const params = JSON.parse(await readStdin()) as GrpcLoadParams;
  const Authorization = authorizationService();
  const client = new Authorization(params.target, credentials.createInsecure()) as unknown as CheckClient;
  const request = {
    attributes: { request: { http: { method: 'GET', path: '/api/items', headers: params.headers } } },
  };
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let errors = 0;
  const deadline = Date.now() + params.duration * 1000;
  const once = () =>
    new Promise<void>((resolve) => {
      const started = process.hrtime.bigint();
      client.Check(request, (error, response) => {
        if (error) errors += 1;
        else {
          latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
          const code = response.status?.code ?? 0;
          const key = code === 0 ? '200' : 'denied';
          statuses[key] = (statuses[key] ?? 0) + 1;
        }
        resolve();
      });
    });
  const worker = async (): Promise<void> => {
    while (Date.now() < deadline) await once();
  };
  // One call first, so the connection is up before the clock starts.
  await once();
  latencies.length = 0;
  for (const key of Object.keys(statuses)) delete statuses[key];
  const sleepAgain = keepAwake();
  const cpuBefore = process.cpuUsage();
  const started = process.hrtime.bigint();
  await Promise.all(Array.from({ length: params.concurrency }, worker));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpuUsed = process.cpuUsage(cpuBefore);
  sleepAgain();
  client.close();
  latencies.sort((a, b) => a - b);
  const percentile = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0;
  const result: LoadResult = {
    rps: latencies.length / seconds,
    p50: percentile(50),
    p99: percentile(99),
    requests: latencies.length,
    seconds,
    non2xx: latencies.length - (statuses['200'] ?? 0),
    errors,
    timeouts: 0,
    statuses,
    cpu: (cpuUsed.user + cpuUsed.system) / 1e6 / seconds,
    tokensShort: 0,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

function readStdin(): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    process.stdin.on('data', (chunk: Buffer) => chunks.push(chunk));
    process.stdin.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    process.stdin.once('error', reject);
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`bench grpc load: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
