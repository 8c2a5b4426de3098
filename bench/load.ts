import net from 'node:net';
import { HTTPParser } from 'http-parser-js';
import autocannon from 'autocannon';
import { keepAwake } from './keep-awake';

/** What the orchestrator sends on stdin (JSON): one autocannon run. */
export interface LoadParams {
  readonly url: string;
  readonly connections: number;
  /** Seconds; used when `tokens` is absent. */
  readonly duration?: number;
  readonly headers?: Record<string, string>;
  /** When set, every connection sends requests with `headers` and with these in turn. */
  readonly alternateHeaders?: Record<string, string>;
  /** One request per token, each token sent exactly once (the run lasts `tokens.length` requests). */
  readonly tokens?: readonly string[];
  /** `GET` unless said (the edge's JSON form is a POST with a body). */
  readonly method?: 'GET' | 'POST';
  readonly body?: string;
  /** `Authorization: DPoP <token>` with one proof per request, each sent exactly once. */
  readonly dpop?: { readonly token: string; readonly proofs: readonly string[] };
  /** With `headers`: exactly this many requests, by the same client loop as `tokens` and `dpop`. */
  readonly requests?: number;
  /**
   * The generator sleeps between responses instead of polling (keep-awake.ts): for phases whose requests
   * make Postgres work (ledger rows, transactions), which runs unpinned and needs the generator's core too. Polling there took it
   * from Postgres (the audited MCP invoke route's server fell from 93 % busy to 74 %), and polling
   * under SCHED_IDLE starved the generator instead (72 % of its core).
   */
  readonly sleeps?: boolean;
}

/** What this process prints on stdout (JSON, one line). */
export interface LoadResult {
  /** Completed responses per second over the whole run. */
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly requests: number;
  readonly seconds: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
  /** Responses by status code, to name what the non-2xx were. */
  readonly statuses: Record<string, number>;
  /** CPU this load process used, as a share of one core over the run (near 1.0: the generator is the limit). */
  readonly cpu: number;
  /** Requests sent after the token list ran out (0 unless autocannon asked for more than `amount`). */
  readonly tokensShort: number;
}

/**
 * The load generator, run by run.ts as its own process (pinned to another CPU than the server) so that
 * generating load never steals cycles from the process being measured.
 */
async function main(): Promise<void> {
  const params = JSON.parse(await readStdin()) as LoadParams;
  const sleepAgain = keepAwake();
  try {
    process.stdout.write(`${JSON.stringify(await load(params))}\n`);
  } finally {
    sleepAgain();
  }
}

async function load(params: LoadParams): Promise<LoadResult> {
  const options: autocannon.Options = {
    url: params.url,
    connections: params.connections,
    headers: params.headers,
    // autocannon refuses an explicit `undefined` method.
    ...(params.method ? { method: params.method, body: params.body } : {}),
  };
  const perRequest = perRequestHeaders(params);
  if (perRequest) {
    return eachRequestOnce(params.url, params.connections, perRequest.count, perRequest.headersOf);
  }
  options.duration = params.duration ?? 10;
  if (params.alternateHeaders) {
    options.headers = undefined;
    options.requests = [
      { method: 'GET', headers: params.headers },
      { method: 'GET', headers: params.alternateHeaders },
    ];
  }

  const cpuBefore = process.cpuUsage();
  const result = await autocannon(options);
  const cpuUsed = process.cpuUsage(cpuBefore);
  const statuses: Record<string, number> = {};
  for (const [code, stat] of Object.entries(result.statusCodeStats ?? {})) {
    statuses[code] = stat.count ?? 0;
  }
  return {
    rps: result.duration > 0 ? result.requests.total / result.duration : 0,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
    seconds: result.duration,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statuses,
    cpu: result.duration > 0 ? (cpuUsed.user + cpuUsed.system) / 1e6 / result.duration : 0,
    tokensShort: 0,
  };
}

/** The headers of request `i` of a counted run (`tokens`, `dpop` or `requests`), or undefined for a timed one. */
function perRequestHeaders(
  params: LoadParams,
): { count: number; headersOf: (i: number) => Record<string, string> } | undefined {
  const { tokens, dpop, requests, headers } = params;
  if (tokens) return { count: tokens.length, headersOf: (i) => ({ authorization: `Bearer ${tokens[i]}` }) };
  if (dpop) {
    const authorization = `DPoP ${dpop.token}`;
    return { count: dpop.proofs.length, headersOf: (i) => ({ authorization, dpop: dpop.proofs[i] }) };
  }
  if (requests !== undefined) return { count: requests, headersOf: () => headers ?? {} };
  return undefined;
}

/**
 * `count` requests, each with its own headers, over `connections` keep-alive sockets, one request in flight
 * on each. Not autocannon: its per-request `setupRequest` path tops out near 2,400 requests/s on one core
 * even against a server that does nothing (measured here), which would have measured the load generator
 * instead of the service. Not `node:http` either: its client cost 37–57 µs of the generator's core a
 * request, so at 16,000–17,500 never-seen tokens a second the generator was the limit of (c) and (q)
 * while the server idled. This loop writes each request's bytes on a plain socket and reads the answers
 * with http-parser-js, the parser autocannon itself uses: 14–16 µs a request (docs/benchmark.md).
 */
async function eachRequestOnce(
  url: string,
  connections: number,
  count: number,
  headersOf: (i: number) => Record<string, string>,
): Promise<LoadResult> {
  const target = new URL(url);
  const port = Number(target.port || 80);
  // What node:http's client sent: the request line, Host and keep-alive, then the request's own headers.
  const head = `GET ${target.pathname}${target.search} HTTP/1.1\r\nHost: ${target.host}\r\nConnection: keep-alive\r\n`;
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let next = 0;
  let errors = 0;

  /** One connection: the next request goes when the answer before it is complete; a closed one is reopened. */
  const worker = () =>
    new Promise<void>((finished) => {
      let socket: net.Socket;
      let started = 0n;
      let status = 0;
      let inFlight = false;
      let reusable = true;
      const sendNext = (): void => {
        if (next >= count || !reusable) {
          socket.end();
          return;
        }
        let request = head;
        for (const [name, value] of Object.entries(headersOf(next++))) request += `${name}: ${value}\r\n`;
        inFlight = true;
        started = process.hrtime.bigint();
        socket.write(`${request}\r\n`);
      };
      const open = (): void => {
        let connected = false;
        reusable = true;
        const parser = new HTTPParser(HTTPParser.RESPONSE);
        parser[HTTPParser.kOnHeadersComplete] = (info) => {
          status = info.statusCode;
          reusable = info.shouldKeepAlive;
        };
        parser[HTTPParser.kOnBody] = () => undefined;
        parser[HTTPParser.kOnMessageComplete] = () => {
          latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
          const code = String(status);
          statuses[code] = (statuses[code] ?? 0) + 1;
          inFlight = false;
          sendNext();
        };
        socket = net.connect(port, target.hostname);
        socket.setNoDelay(true);
        socket.on('connect', () => {
          connected = true;
          sendNext();
        });
        socket.on('data', (chunk: Buffer) => {
          if (parser.execute(chunk) instanceof Error) socket.destroy();
        });
        // 'close' follows every 'error'; counting happens there.
        socket.on('error', () => undefined);
        socket.on('close', () => {
          if (inFlight || !connected) errors += 1;
          inFlight = false;
          // A refused connection ends this worker; a server that closed a used one gets a new one.
          if (connected && next < count) open();
          else finished();
        });
      };
      open();
    });

  const cpuBefore = process.cpuUsage();
  const started = process.hrtime.bigint();
  await Promise.all(Array.from({ length: connections }, worker));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpuUsed = process.cpuUsage(cpuBefore);
  latencies.sort((a, b) => a - b);
  const percentile = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0;
  const ok = Object.entries(statuses)
    .filter(([code]) => code.startsWith('2'))
    .reduce((sum, [, count]) => sum + count, 0);
  return {
    rps: latencies.length / seconds,
    p50: percentile(50),
    p99: percentile(99),
    requests: latencies.length,
    seconds,
    non2xx: latencies.length - ok,
    errors,
    timeouts: 0,
    statuses,
    cpu: (cpuUsed.user + cpuUsed.system) / 1e6 / seconds,
    tokensShort: 0,
  };
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
  process.stderr.write(`bench load: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
