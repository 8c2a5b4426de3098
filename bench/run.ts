import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { Client } from 'pg';
import { type LedgerWriteResult, measureLedgerWrites } from './audit-writes';
import { BenchDpopClient } from './dpop';
import { BENCH_AUDIENCE, BENCH_SUBJECT, BenchIssuer } from './issuer';
import type { LoadParams, LoadResult } from './load';
import { type LogStreamResult, measureLogStream, seedRevocations } from './log-stream';
import { mintTokens } from './mint';
import { canPin, freePort, reachable, runGrpcLoad, runLoad, Server, StartError } from './processes';

/**
 * `npm run bench`: the service against the hand-written Express + passport-jwt guard, on the real
 * Postgres and Redis, with a loopback issuer. Reports; never asserts (exit 1 only when something does
 * not start). Each phase below says what it measures and why.
 */

const POSTGRES_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
const DATABASE = 'alphaswarm_bench';
const DATABASE_URL = `postgres://postgres@127.0.0.1:5432/${DATABASE}`;
const REDIS_URL = 'redis://127.0.0.1:6379';

const CONNECTIONS = 50;
/** Seconds. Warm-ups let V8 optimise the hot path and open the connections; their numbers are discarded. */
const WARMUP = 2;
const MEASURE = 9;
/** The interleaved phases: this many rounds of ROUND seconds each (the median round is reported). */
const ROUNDS = 5;
const ROUND = 3;
/** The fresh-token phase spends its tokens in this many parts, each followed by a round of (d). */
const FRESH_PARTS = 3;
/**
 * Fresh-token phase: warm-up tokens (about WARMUP seconds at 10,000-15,000 req/s), then enough measured
 * tokens for about MEASURE seconds, so each of its parts lasts a round like every other phase's. With
 * the earlier cap of 60,000, a part lasted 1.4 s on a machine that verifies 14,000 a second, and the load
 * process's start (new connections, a cold client) took a larger share of it: 7-9 % fewer req/s for the
 * same server CPU per request (measured: parts of 20,000 tokens against 60,000, twice).
 */
const FRESH_WARMUP_TOKENS = 25_000;
const FRESH_MIN_TOKENS = 5000;
const FRESH_MAX_TOKENS = 200_000;
/** The DPoP phase: warm-up proofs, then this many parts, each sized from the warm-up rate to last ROUND seconds. */
const DPOP_WARMUP_PROOFS = 2000;
const DPOP_PARTS = 3;
const DPOP_MAX_PROOFS = 30_000;

const SERVER_CPU = 0;
const LOAD_CPU = 1;
/** Audit ledger writes: concurrent writers (the service's pool holds 10 connections) and seconds per run. */
const LEDGER_WRITERS = 16;
const LEDGER_SECONDS = 5;
/** Every request of the deny flood carries this, so every one is a strict-mode deny (401 malformed_token). */
const BAD_TOKEN = { authorization: 'Bearer not-a-token' };
const INVITE_SECRET = randomBytes(32).toString('hex');
const CREDENTIALS_KEKS = `bench:${randomBytes(32).toString('base64')}`;
/** The M2M client (s) resolves as. */
const RESOLVER_CLIENT = 'bench-trading';

const LOG_STREAM_SECRET = randomBytes(32).toString('hex');
/** (r): the service started on a table of this many revoked subjects (the bench user not among them). */
const REVOKED_SUBJECTS = 10_000;
/**
 * This run's Redis key prefix (jobs, DPoP replay keys). With the default one, a run's services picked up
 * the jobs an earlier run left behind (the log-stream phase's cleanups, jobs of a killed process) and
 * processed them while being measured; the run deletes its keys when it ends.
 */
const REDIS_PREFIX = `alphaswarm-bench-${randomBytes(4).toString('hex')}`;
/** Seconds per log-stream ingestion run. */
const LOG_STREAM_SECONDS = 5;

interface Phase {
  readonly label: string;
  /** The status every response should have (default: any 2xx). */
  readonly expectStatus?: string;
  readonly result: LoadResult;
  readonly warmup: LoadResult;
  /** Cores the server process used during the measured run (about 1.0 when it had CPU 0 to itself). */
  readonly serverCpu?: number;
  /** The part of `serverCpu` spent in the kernel (the server's system calls). */
  readonly serverSystemCpu?: number;
}

const log = (line: string): void => void process.stderr.write(`bench: ${line}\n`);

async function main(): Promise<number> {
  const startedAt = Date.now();
  // Both services are checked first, so a missing one costs a second, not a build and a boot.
  if (!(await reachable('127.0.0.1', 5432))) return unreachable('Postgres', '127.0.0.1:5432');
  if (!(await reachable('127.0.0.1', 6379))) return unreachable('Redis', '127.0.0.1:6379');

  const pinned = canPin();
  const serverCpu = pinned ? SERVER_CPU : undefined;
  const loadCpu = pinned ? LOAD_CPU : undefined;
  if (!pinned) log('taskset is unavailable (or CPU 1 is not usable): server and load run UNPINNED');

  const issuer = await BenchIssuer.start();
  const running = new Set<Server>();
  const stopAll = async () => {
    for (const server of running) await server.stop();
    running.clear();
  };
  // Ctrl-C: children get the signal too, but the bench database must still be dropped.
  process.once('SIGINT', () => {
    void stopAll()
      .then(() => dropDatabase())
      .then(() => deleteRedisKeys(`${REDIS_PREFIX}:*`))
      .finally(() => process.exit(130));
  });

  try {
    await recreateDatabase();
    const phases: Phase[] = [];

    // ---- the service under test: (a), (b), (c) ----
    const port = await freePort();
    // The edge check is on, pinned to one cell, so (j), (k) and (l) measure it in the same process as (b).
    const edgeGrpcPort = await freePort();
    const service = Server.start(
      'the service (bench/server.ts)',
      'server.js',
      { ...serviceEnv(port, issuer.url), ...edgeEnv(issuer.url, edgeGrpcPort) },
      serverCpu,
    );
    running.add(service);
    const base = `http://127.0.0.1:${port}`;
    // /readyz answers 200 only once the database, Redis and the JWKS (one fetch) are all up.
    await service.waitFor(`${base}/readyz`);
    log(`service ready on ${base} (pid ${service.pid})`);

    // (d) The baseline runs beside the service on the same CPU, idle while the service is measured and
    // the other way round, so that it can take its turn in the same rounds.
    const baselinePort = await freePort();
    const baseline = Server.start(
      'the baseline (bench/baseline/server.ts)',
      'baseline/server.js',
      {
        PATH: process.env.PATH ?? '',
        NODE_ENV: 'production',
        BASELINE_PORT: String(baselinePort),
        BASELINE_ISSUER: issuer.url,
        BASELINE_AUDIENCE: BENCH_AUDIENCE,
        BASELINE_JWKS_URI: issuer.baselineJwksUri,
      },
      serverCpu,
    );
    running.add(baseline);
    const baselineBase = `http://127.0.0.1:${baselinePort}`;
    await baseline.waitFor(`${baselineBase}/healthz`);
    log(`baseline ready on ${baselineBase} (pid ${baseline.pid})`);

    // (z) The bare yardstick, started and measured the same way: NestJS on Fastify, one public route.
    const { server: bare, base: bareBase } = await startYardstick('bare', 'BARE_PORT', serverCpu, running);
    // (x) The design's floor: the bare app plus six global guards and one pino line a request, the least
    // any service built to this design pays (bench/floor/server.ts); (x)/(z) bounds (a)/(z) from above.
    const { server: floor, base: floorBase } = await startYardstick(
      'floor',
      'FLOOR_PORT',
      serverCpu,
      running,
    );

    // (w) The floor again, served by a process that also runs the whole service (idle on its own port):
    // as high as (a)/(z) can go once the request path shares a process with everything the service is.
    const floorInServicePort = await freePort();
    const floorInService = Server.start(
      'the floor in the service (bench/floor-in-service/server.ts)',
      'floor-in-service/server.js',
      {
        ...serviceEnv(await freePort(), issuer.url),
        ...edgeEnv(issuer.url, await freePort()),
        FLOOR_PORT: String(floorInServicePort),
      },
      serverCpu,
    );
    running.add(floorInService);
    const floorInServiceBase = `http://127.0.0.1:${floorInServicePort}`;
    await floorInService.waitFor(`${floorInServiceBase}/bench/public`);
    log(`floor in the service ready on ${floorInServiceBase} (pid ${floorInService.pid})`);

    // (t) and (r): the same service twice, with the same environment, booted one before and one after
    // REVOKED_SUBJECTS revocations were stored. (r) holds them all in memory and asks that map on every
    // request; (t) never heard of them (they are written to the table, not broadcast), so (r)/(t), two
    // processes alike but for the map, is its price. Against (b) instead, served by the service that
    // also runs the edge check and every other phase, the ratio read 0.85 in a run where (r)/(t) read
    // 1.00: it measured the difference between two processes, not the map (docs/benchmark.md).
    const { server: twinService, base: twinBase } = await startSecondService(
      'without revoked subjects',
      issuer.url,
      serverCpu,
      running,
    );
    await seedRevocations(DATABASE_URL, REVOKED_SUBJECTS);
    const { server: revokedService, base: revokedBase } = await startSecondService(
      `with ${REVOKED_SUBJECTS} revoked subjects`,
      issuer.url,
      serverCpu,
      running,
    );
    await expectRevokedSubjects(twinBase, '(t)', 0);
    await expectRevokedSubjects(revokedBase, '(r)', REVOKED_SUBJECTS);

    // (v), (g) The service with ALPHASWARM_AUTH_AUDIT_ENABLED=false: what auditing costs, for MCP
    // invocations (v, in the rounds beside (n)) and for a flood of denies (g, after (f)).
    const { server: quiet, base: quietBase } = await startSecondService(
      'with auditing off',
      issuer.url,
      serverCpu,
      running,
      { ALPHASWARM_AUTH_AUDIT_ENABLED: 'false' },
    );

    const token = await issuer.token();
    const bearer = { authorization: `Bearer ${token}` };

    // (a), (i), (b), (h), (e) and (d) take turns in short rounds: a slow spell of the machine (another process, a
    // GC) then hits rounds, not phases, and each ratio is the median of its per-round ratios, taken from
    // measurements seconds apart.
    const orgId = await seedMembership(BENCH_SUBJECT);
    // (s), (n) The Data MCP server with a delegated agent token and a trivial tool (identity.whoami):
    // tools/call over Streamable HTTP (a new SDK server and transport per request), and the plain-HTTP
    // invoke route. Both audit every call (buffered, like (f)'s denies).
    const agentBearer = {
      authorization: `Bearer ${await issuer.agentToken(`${base}/mcp/data`)}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
    };
    const quietAgentBearer = {
      ...agentBearer,
      authorization: `Bearer ${await issuer.agentToken(`${quietBase}/mcp/data`)}`,
    };
    const resolve = await seedBrokerCredential(base, issuer);

    log(
      `(a), (i), (b), (h), (e), (r), (t), (o), (s), (n), (v), (u), (j), (k), (d), (z), (x), (w) and (y) in ${ROUNDS} rounds of ${ROUND} s each`,
    );
    const rotation = await interleaved(loadCpu, [
      { label: '(a) service: /bench/public, no token', url: `${base}/bench/public`, server: service },
      // (i) The public route with (b)'s Authorization header, which it ignores: what carrying and parsing
      // the ~1 KB header costs by itself, so that (b)/(i) is the price of the token checks alone.
      {
        label: '(i) service: /bench/public, header sent',
        url: `${base}/bench/public`,
        headers: bearer,
        server: service,
      },
      {
        label: '(b) service: /bench/scoped, one reused token',
        url: `${base}/bench/scoped`,
        headers: bearer,
        server: service,
      },
      // (h) As behind a proxy whose upstream connections carry many users: the token changes from one
      // request to the next on each connection, so the per-connection memo never answers and every
      // request takes the SHA-256 lookup.
      {
        label: '(h) service: /bench/scoped, 2 tokens in turn',
        url: `${base}/bench/scoped`,
        headers: bearer,
        alternateHeaders: { authorization: `Bearer ${await issuer.token()}` },
        server: service,
      },
      // (e) The same scope check plus @OrgScoped: the token's user is a member of the organization, so
      // after the first request the membership comes from the cache (invalidated over Redis on change).
      {
        label: '(e) service: @OrgScoped + scope, reused token',
        url: `${base}/bench/orgs/${orgId}/scoped`,
        headers: bearer,
        server: service,
      },
      // (o) (b) as a POST with a JSON body: (n)/(o) is the price of the MCP checks and the tool alone.
      {
        label: '(o) service: POST /bench/scoped, JSON body',
        url: `${base}/bench/scoped`,
        method: 'POST',
        body: '{}',
        headers: { ...bearer, 'content-type': 'application/json' },
        server: service,
      },
      {
        label: '(s) MCP tools/call, Streamable HTTP (SDK)',
        url: `${base}/mcp/data`,
        method: 'POST',
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 1,
          method: 'tools/call',
          params: { name: 'identity.whoami', arguments: {} },
        }),
        headers: agentBearer,
        server: service,
        sleeps: true,
      },
      {
        label: '(n) MCP invoke route, plain HTTP',
        url: `${base}/mcp/data/tools/identity.whoami/invoke`,
        method: 'POST',
        body: '{}',
        headers: agentBearer,
        server: service,
        sleeps: true,
      },
      // (v) (n) on the service with auditing off: (n)/(v) is the price of the ledger row each invocation
      // appends (the service's share; Postgres's runs beside it), (v)/(b) what the invocation costs without it.
      // Its generator sleeps as (n)'s does, so that (n)/(v) compares like with like.
      {
        label: '(v) (n) with ALPHASWARM_AUTH_AUDIT_ENABLED=false',
        url: `${quietBase}/mcp/data/tools/identity.whoami/invoke`,
        method: 'POST',
        body: '{}',
        headers: quietAgentBearer,
        server: quiet,
        sleeps: true,
      },
      // (u) The credential resolver, as the trading service calls it: an M2M token, one broker credential,
      // its data key in the cache after the first request (so no request touches the key-encryption
      // key), a ledger row per resolve and the per-client limit in Redis. Against (b): what opening a
      // secret and auditing it cost beyond a scope check.
      {
        label: '(u) service: credential resolve, warm keys',
        url: `${base}/_internal/credentials/resolve`,
        method: 'POST',
        body: resolve.body,
        headers: resolve.headers,
        server: service,
        sleeps: true,
      },
      // (j), (k) The edge check (docs/edge.md) with (b)'s token: the runbook's JSON form (a POST whose
      // body is Envoy's CheckRequest) and Envoy's HTTP service mode (the original request under the prefix).
      {
        label: '(j) edge: POST /ext_authz/v3/check (JSON)',
        url: `${base}/ext_authz/v3/check`,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          attributes: { request: { http: { method: 'GET', path: '/api', headers: bearer } } },
        }),
        server: service,
      },
      {
        label: '(k) edge: GET /ext_authz/http/api (HTTP mode)',
        url: `${base}/ext_authz/http/api`,
        headers: bearer,
        server: service,
      },
      {
        label: '(r) (b) with 10,000 revoked subjects',
        url: `${revokedBase}/bench/scoped`,
        headers: bearer,
        server: revokedService,
      },
      {
        label: '(t) (b) on the twin of (r), no revocations',
        url: `${twinBase}/bench/scoped`,
        headers: bearer,
        server: twinService,
      },
      {
        label: '(d) baseline: Express + passport-jwt, reused',
        url: `${baselineBase}/bench/scoped`,
        headers: bearer,
        server: baseline,
      },
      {
        label: '(z) bare NestJS + Fastify: /bench/public',
        url: `${bareBase}/bench/public`,
        server: bare,
      },
      {
        label: '(x) floor: bare + 6 guards + a pino line',
        url: `${floorBase}/bench/public`,
        server: floor,
      },
      {
        label: "(w) floor, in the service's process",
        url: `${floorInServiceBase}/bench/public`,
        server: floorInService,
      },
      // (y) The bare app's POST with (o)'s body: (y)/(z) is the framework's own price for a body, the
      // ceiling of (o)/(b), and so of (n)/(b) and (j)/(b), whatever the service does.
      {
        label: '(y) bare NestJS + Fastify: POST, JSON body',
        url: `${bareBase}/bench/public`,
        method: 'POST',
        body: '{}',
        headers: { 'content-type': 'application/json' },
        server: bare,
      },
    ]);
    phases.push(...rotation.phases);
    // Idle or not, a second service process on the server's core has no place in the phases after the rounds.
    await floorInService.stop();
    running.delete(floorInService);
    // A twin that read the table since (its revocation broadcast down) would have measured nothing.
    await expectRevokedSubjects(twinBase, '(t)', 0);
    await twinService.stop();
    running.delete(twinService);

    // (l) The edge check over gRPC against (m) a do-nothing Authorization server on the same stack (the
    // ceiling), in alternating rounds; the load is a grpc-js client loop in the load process.
    const ceilingPort = await freePort();
    const ceiling = Server.start(
      'the gRPC ceiling (bench/grpc-ceiling/server.ts)',
      'grpc-ceiling/server.js',
      { PATH: process.env.PATH ?? '', NODE_ENV: 'production', CEILING_PORT: String(ceilingPort) },
      serverCpu,
    );
    running.add(ceiling);
    await waitForPort(edgeGrpcPort);
    await waitForPort(ceilingPort);
    log(`(l) and (m): gRPC Check, ${ROUNDS} rounds of ${ROUND} s each, ${CONNECTIONS} calls in flight`);
    const grpc = await grpcRounds(
      loadCpu,
      [
        { label: '(l) edge: gRPC Authorization/Check', target: `127.0.0.1:${edgeGrpcPort}`, server: service },
        {
          label: '(m) gRPC ceiling: Check answering OK',
          target: `127.0.0.1:${ceilingPort}`,
          server: ceiling,
        },
      ],
      bearer,
    );
    phases.push(...grpc.phases);
    await ceiling.stop();
    running.delete(ceiling);

    // (c) Every request carries a token the service has never seen, so no cache can help: this is the
    // cost of a real signature verification per request. Tokens are minted before the clock starts.
    log(`(c) minting ${FRESH_WARMUP_TOKENS} warm-up tokens`);
    const mintJob = { issuer: issuer.url, kid: issuer.kid, privateKeyPem: issuer.privateKeyPem };
    const scopedUrl = `${base}/bench/scoped`;
    const freshWarmup = await runLoad(
      { url: scopedUrl, connections: CONNECTIONS, tokens: await mintTokens(mintJob, FRESH_WARMUP_TOKENS) },
      loadCpu,
    );
    // Size the measured run from the warm-up rate so it lasts about MEASURE seconds.
    const count = Math.round(
      Math.min(FRESH_MAX_TOKENS, Math.max(FRESH_MIN_TOKENS, freshWarmup.rps * MEASURE)),
    );
    log(`(c) minting ${count} tokens (warm-up ran at ${Math.round(freshWarmup.rps)} req/s)`);
    const freshTokens = await mintTokens(mintJob, count);
    // In FRESH_PARTS parts, each followed by a round of the baseline, so (c)/(d) too is a median of ratios
    // measured seconds apart.
    log(
      `(c) GET /bench/scoped, ${count} requests, each with a token never seen before, in ${FRESH_PARTS} parts`,
    );
    const part = Math.ceil(count / FRESH_PARTS);
    const freshRounds: Round[] = [];
    const freshRatios: number[] = [];
    // By server CPU time too, each part against the round of (d) right after it, as by rate: (d)'s own
    // rounds, among the interleaved phases, were measured minutes earlier.
    const freshCpuRatios: number[] = [];
    for (let round = 0; round < FRESH_PARTS; round += 1) {
      const tokens = freshTokens.slice(round * part, (round + 1) * part);
      const fresh = await sampled(service, () =>
        runLoad({ url: scopedUrl, connections: CONNECTIONS, tokens }, loadCpu),
      );
      const beside = await sampled(baseline, () =>
        runLoad(
          { url: `${baselineBase}/bench/scoped`, headers: bearer, connections: CONNECTIONS, duration: ROUND },
          loadCpu,
        ),
      );
      freshRounds.push(fresh);
      freshRatios.push(fresh.result.rps / beside.result.rps);
      freshCpuRatios.push(
        cpuPerRequest(beside.result, beside.serverCpu) / cpuPerRequest(fresh.result, fresh.serverCpu),
      );
      log(
        `(c) part ${round + 1}: ${Math.round(fresh.result.rps)} req/s, ${microsecondsPerRequest(fresh)} µs/req; ` +
          `(d) after it: ${Math.round(beside.result.rps)} req/s, ${microsecondsPerRequest(beside)} µs/req`,
      );
    }
    const freshMedian = medianOf(freshRounds, (round) => round.result.rps);
    phases.push({
      label: '(c) service: /bench/scoped, a new token each',
      warmup: freshWarmup,
      serverCpu: freshMedian.serverCpu,
      serverSystemCpu: freshMedian.serverSystemCpu,
      result: {
        ...freshMedian.result,
        non2xx: freshRounds.reduce((total, round) => total + round.result.non2xx, 0),
        errors: freshRounds.reduce((total, round) => total + round.result.errors, 0),
        timeouts: freshRounds.reduce((total, round) => total + round.result.timeouts, 0),
      },
    });

    // (p) DPoP against (q), the same route with a reused bearer token sent by the same client loop.
    log(
      `(p) GET /bench/scoped with DPoP, a new pre-generated proof each, against (q) bearer, ${DPOP_PARTS} parts`,
    );
    const dpop = await measureDpop(service, loadCpu, scopedUrl, issuer);
    phases.push(...dpop.phases);
    const dpopReplayKeys = await countRedisKeys(`${REDIS_PREFIX}:dpop:jti:*`);

    // (f) A flood of strict-mode denies: every one is also an audit event (buffered, written in batches).
    log('(f) GET /bench/scoped with a bad token: every request a 401, audited');
    // The same counters also count the MCP phases' rows (the invocation audit writes through the decision
    // path): (f) reports what changed during its own flood.
    const auditBefore = await auditCounters(base);
    const denyPhases: Phase[] = [
      {
        label: '(f) deny flood, audit on',
        expectStatus: '401',
        // Every deny is a ledger row: the generator sleeps, as for the other phases that write to Postgres.
        ...(await measure(service, loadCpu, {
          url: `${base}/bench/scoped`,
          connections: CONNECTIONS,
          headers: BAD_TOKEN,
          sleeps: true,
        })),
      },
    ];
    const audit = countersSince(auditBefore, await auditCounters(base));

    // Log-stream ingestion: events stored per second, in Auth0's usual batches and in large ones.
    const logStream: LogStreamResult[] = [];
    for (const size of [100, 5000]) {
      log(`log stream: batches of ${size} for ${LOG_STREAM_SECONDS} s`);
      logStream.push(await measureLogStream(base, LOG_STREAM_SECRET, size, LOG_STREAM_SECONDS));
    }
    await revokedService.stop();
    running.delete(revokedService);

    const rss = service.rssMiB();
    await service.stop();
    running.delete(service);
    const serviceJwksFetches = issuer.jwksRequests;

    // (g) The same flood on the service with auditing off (started before the rounds, for (v)).
    log('(g) the same deny flood with ALPHASWARM_AUTH_AUDIT_ENABLED=false');
    denyPhases.push({
      label: '(g) deny flood, audit off',
      expectStatus: '401',
      ...(await measure(quiet, loadCpu, {
        url: `${quietBase}/bench/scoped`,
        connections: CONNECTIONS,
        headers: BAD_TOKEN,
        // As (f), so that (f)/(g) is the ledger's price alone.
        sleeps: true,
      })),
    });
    await quiet.stop();
    running.delete(quiet);

    await baseline.stop();
    running.delete(baseline);
    await bare.stop();
    running.delete(bare);

    log(
      `ledger writes: ${LEDGER_WRITERS} concurrent writers, ${LEDGER_SECONDS} s each, one org then 100 orgs`,
    );
    const ledger = await measureLedgerWrites(DATABASE_URL, LEDGER_WRITERS, LEDGER_SECONDS);

    report(
      phases,
      rotation.roundRatios,
      { rate: freshRatios, cpu: freshCpuRatios },
      { grpcVsCeiling: grpc.ratios, dpopVsBearer: dpop.ratios },
      {
        serviceJwksFetches,
        dpopReplayKeys,
        rss,
        pinned,
        seconds: (Date.now() - startedAt) / 1000,
      },
    );
    reportAudit(denyPhases, audit, ledger);
    reportLogStream(logStream);
    return 0;
  } catch (error) {
    if (!(error instanceof StartError)) throw error;
    process.stderr.write(`bench: FAILED TO START: ${error.message}\n`);
    return 1;
  } finally {
    await stopAll();
    await issuer.close();
    await dropDatabase();
    await deleteRedisKeys(`${REDIS_PREFIX}:*`);
  }
}

/**
 * (p) Every request presents one DPoP-bound token (answered by the verified-token cache) and a proof never
 * seen before, made ahead of the clock: the cost of one proof signature verification and one Redis
 * `SET NX` per request. (q) is the same route with a reused bearer token, sent by the same client loop
 * (load.ts; autocannon's per-request path would measure the generator), in parts alternating with (p),
 * so (p)/(q) is a median of ratios measured seconds apart. The issue's target is 0.5.
 */
async function measureDpop(
  service: Server,
  cpu: number | undefined,
  url: string,
  issuer: BenchIssuer,
): Promise<{ phases: Phase[]; ratios: number[] }> {
  const client = await BenchDpopClient.create();
  const token = await issuer.token({ cnf: { jkt: client.jkt } });
  const bearer = { authorization: `Bearer ${await issuer.token()}` };
  const dpopRun = async (count: number) => {
    const proofs = await client.proofs('GET', url, token, count);
    return sampled(service, () => runLoad({ url, connections: CONNECTIONS, dpop: { token, proofs } }, cpu));
  };
  const bearerRun = (count: number) =>
    sampled(service, () => runLoad({ url, connections: CONNECTIONS, headers: bearer, requests: count }, cpu));

  const dpopWarmup = (await dpopRun(DPOP_WARMUP_PROOFS)).result;
  const bearerWarmup = (await bearerRun(DPOP_WARMUP_PROOFS)).result;
  const count = Math.round(Math.min(DPOP_MAX_PROOFS, Math.max(DPOP_WARMUP_PROOFS, dpopWarmup.rps * ROUND)));
  const dpopParts: Round[] = [];
  const bearerParts: Round[] = [];
  const ratios: number[] = [];
  for (let part = 0; part < DPOP_PARTS; part += 1) {
    const withProofs = await dpopRun(count);
    const withBearer = await bearerRun(count);
    dpopParts.push(withProofs);
    bearerParts.push(withBearer);
    ratios.push(withProofs.result.rps / withBearer.result.rps);
  }
  const phaseOf = (label: string, parts: typeof dpopParts, warmup: LoadResult): Phase => {
    const median = medianOf(parts, (part) => part.result.rps);
    return {
      label,
      warmup,
      serverCpu: median.serverCpu,
      serverSystemCpu: median.serverSystemCpu,
      result: {
        ...median.result,
        non2xx: parts.reduce((total, part) => total + part.result.non2xx, 0),
        errors: parts.reduce((total, part) => total + part.result.errors, 0),
      },
    };
  };
  return {
    phases: [
      phaseOf('(p) service: /bench/scoped, DPoP, new proof each', dpopParts, dpopWarmup),
      phaseOf('(q) service: /bench/scoped, bearer, same client', bearerParts, bearerWarmup),
    ],
    ratios,
  };
}

/** How many Redis keys match `pattern`. */
async function countRedisKeys(pattern: string): Promise<number> {
  let count = 0;
  await eachRedisKeyBatch(pattern, async (keys) => {
    count += keys.length;
  });
  return count;
}

/** Deletes this run's keys, so the next run starts from nothing of it. */
function deleteRedisKeys(pattern: string): Promise<void> {
  return eachRedisKeyBatch(pattern, async (keys, redis) => {
    if (keys.length > 0) await redis.del(...keys);
  });
}

/** SCAN, so neither counting nor deleting ever blocks Redis. */
async function eachRedisKeyBatch(
  pattern: string,
  each: (keys: string[], redis: Redis) => Promise<void>,
): Promise<void> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      await each(keys, redis);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

interface Target {
  readonly label: string;
  readonly url: string;
  readonly method?: 'GET' | 'POST';
  readonly body?: string;
  readonly headers?: Record<string, string>;
  readonly alternateHeaders?: Record<string, string>;
  readonly server: Server;
  /** Its requests make Postgres work, or it is compared with one that does: the generator sleeps (`LoadParams.sleeps`). */
  readonly sleeps?: true;
}

/** The per-round ratios of two interleaved phases (by label prefix, e.g. '(b)'); the report takes their median. */
type RoundRatios = (numerator: string, denominator: string) => readonly number[] | undefined;

/** A measured run and the server's CPU shares meanwhile (see `sampled`). */
type Round = { result: LoadResult; serverCpu?: number; serverSystemCpu?: number };

/**
 * Warms each target up, then measures them in turn, ROUNDS times: the two sides of a ratio are measured
 * seconds apart, so a slow spell of the machine lands on one round of each rather than on one phase. A
 * phase's figures are its median round's; its non-2xx, errors and timeouts are summed over every round.
 */
async function inTurns<T extends { readonly label: string; readonly server: Server }>(
  targets: readonly T[],
  load: (target: T, seconds: number) => Promise<LoadResult>,
): Promise<{ phases: Phase[]; rounds: Round[][] }> {
  const warmups: LoadResult[] = [];
  for (const target of targets) warmups.push(await load(target, WARMUP));
  const rounds: Round[][] = targets.map(() => []);
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const [i, target] of targets.entries())
      rounds[i].push(await sampled(target.server, () => load(target, ROUND)));
  }
  const phases = targets.map((target, i) => {
    const median = medianOf(rounds[i], (entry) => entry.result.rps);
    const sum = (field: 'non2xx' | 'errors' | 'timeouts') =>
      rounds[i].reduce((total, entry) => total + entry.result[field], 0);
    return {
      label: target.label,
      warmup: warmups[i],
      serverCpu: median.serverCpu,
      serverSystemCpu: median.serverSystemCpu,
      result: { ...median.result, non2xx: sum('non2xx'), errors: sum('errors'), timeouts: sum('timeouts') },
    };
  });
  return { phases, rounds };
}

/** The HTTP phases in turns (`inTurns`), and the per-round ratios of any two of them. */
async function interleaved(
  cpu: number | undefined,
  targets: readonly Target[],
): Promise<{ phases: Phase[]; roundRatios: RoundRatios }> {
  const load = (target: Target, duration: number) =>
    runLoad(
      {
        url: target.url,
        method: target.method,
        body: target.body,
        headers: target.headers,
        alternateHeaders: target.alternateHeaders,
        sleeps: target.sleeps,
        connections: CONNECTIONS,
        duration,
      },
      cpu,
    );
  const { phases, rounds } = await inTurns(targets, load);
  const roundsOf = (prefix: string) => rounds[targets.findIndex((target) => target.label.startsWith(prefix))];
  const roundRatios: RoundRatios = (numerator, denominator) => {
    const [top, bottom] = [roundsOf(numerator), roundsOf(denominator)];
    if (!top || !bottom) return undefined;
    return top.map((round, r) => round.result.rps / bottom[r].result.rps);
  };
  return { phases, roundRatios };
}

interface GrpcTarget {
  readonly label: string;
  readonly target: string;
  readonly server: Server;
}

/** The gRPC phases, measured like `interleaved` (warm-up, then ROUNDS rounds in turn); (l)/(m) per round. */
async function grpcRounds(
  cpu: number | undefined,
  targets: readonly [GrpcTarget, GrpcTarget],
  headers: Record<string, string>,
): Promise<{ phases: Phase[]; ratios: number[] }> {
  const load = (target: GrpcTarget, duration: number) =>
    runGrpcLoad({ target: target.target, concurrency: CONNECTIONS, duration, headers }, cpu);
  const { phases, rounds } = await inTurns(targets, load);
  return { phases, ratios: rounds[0].map((round, r) => round.result.rps / rounds[1][r].result.rps) };
}

async function waitForPort(port: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await reachable('127.0.0.1', port))) {
    if (Date.now() > deadline) throw new StartError(`nothing listens on 127.0.0.1:${port}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function medianOf<T>(values: readonly T[], by: (value: T) => number): T {
  const sorted = [...values].sort((x, y) => by(x) - by(y));
  return sorted[Math.floor(sorted.length / 2)];
}

/** A warm-up run (discarded) then the measured run, both by duration, from the load process. */
async function measure(
  server: Server,
  cpu: number | undefined,
  params: Omit<LoadParams, 'duration' | 'tokens'>,
): Promise<{ warmup: LoadResult } & Round> {
  const warmup = await runLoad({ ...params, duration: WARMUP }, cpu);
  return { warmup, ...(await sampled(server, () => runLoad({ ...params, duration: MEASURE }, cpu))) };
}

/** Runs `load` and reports how many cores the server used meanwhile, and how much of it in the kernel. */
async function sampled(server: Server, load: () => Promise<LoadResult>): Promise<Round> {
  const before = server.cpuSeconds();
  const result = await load();
  const after = server.cpuSeconds();
  if (before === undefined || after === undefined || result.seconds <= 0) return { result };
  return {
    result,
    serverCpu: (after.user + after.system - before.user - before.system) / result.seconds,
    serverSystemCpu: (after.system - before.system) / result.seconds,
  };
}

/** Server CPU seconds per request (NaN when the server's CPU was not sampled). */
function cpuPerRequest(result: LoadResult, share: number | undefined): number {
  return (share ?? Number.NaN) / result.rps;
}

/** A sampled run's server CPU per request, in µs, for the log. */
function microsecondsPerRequest(round: Round): string {
  return (cpuPerRequest(round.result, round.serverCpu) * 1e6).toFixed(1);
}

function report(
  phases: readonly Phase[],
  roundRatios: RoundRatios,
  /** (c)/(d): each fresh-token part against the round of (d) after it, by rate and by CPU time. */
  freshVsBaseline: { rate: readonly number[]; cpu: readonly number[] },
  /** Ratios whose sides are measured in parts of their own (interleaved), not by `roundRatios`. */
  measured: { grpcVsCeiling: readonly number[]; dpopVsBearer: readonly number[] },
  run: {
    serviceJwksFetches: number;
    dpopReplayKeys: number;
    rss?: number;
    pinned: boolean;
    seconds: number;
  },
): void {
  const byPhase = (letter: string) => phases.find((phase) => phase.label.startsWith(`(${letter})`))!.result;
  const [a, b, d, e, h, i, j, k, p, q, z] = ['a', 'b', 'd', 'e', 'h', 'i', 'j', 'k', 'p', 'q', 'z'].map(
    byPhase,
  );
  const cpuOf = (letter: string) => phases.find((phase) => phase.label.startsWith(`(${letter})`))!.serverCpu;
  const [pCpu, qCpu] = [cpuOf('p'), cpuOf('q')];
  const number = (value: number, digits = 0) =>
    value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  const lines: string[] = [];
  const row = (cells: string[], widths: number[]) =>
    cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');

  const widths = [46, 9, 8, 8, 8, 10, 10, 11, 9];
  lines.push(
    row(
      ['phase', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx', 'srv CPU', 'load CPU', 'srv µs/req', 'of it sys'],
      widths,
    ),
  );
  lines.push('-'.repeat(widths.reduce((sum, width) => sum + width + 2, -2)));
  const percent = (share: number | undefined) => (share === undefined ? 'n/a' : `${number(share * 100)}%`);
  for (const { label, result, serverCpu, serverSystemCpu } of phases) {
    lines.push(
      row(
        [
          label,
          number(result.rps),
          number(result.p50, 1),
          number(result.p99, 1),
          String(result.non2xx),
          percent(serverCpu),
          percent(result.cpu),
          number(cpuPerRequest(result, serverCpu) * 1e6, 1),
          number(cpuPerRequest(result, serverSystemCpu) * 1e6, 1),
        ],
        widths,
      ),
    );
  }
  lines.push('');
  const ratios: [string, readonly number[], number | undefined][] = [
    // Each ratio is the median of per-round (or per-part) ratios, the two sides measured seconds apart.
    // Against the bare app, which does not move when the service's own public route gets faster or slower.
    ['(a)/(z)  public route vs bare NestJS + Fastify', roundRatios('(a)', '(z)') ?? [a.rps / z.rps], 0.8],
    ['(b)/(z)  reused token vs bare NestJS + Fastify', roundRatios('(b)', '(z)') ?? [b.rps / z.rps], 0.72],
    // The floor (x) is the bare app with only what the design requires of every request: what the
    // service adds beyond it is (a)/(x), and (x)/(z) is as high as (a)/(z) can go.
    ['(x)/(z)  design floor vs bare NestJS + Fastify', roundRatios('(x)', '(z)') ?? [Number.NaN], undefined],
    ['(a)/(x)  public route vs the design floor', roundRatios('(a)', '(x)') ?? [Number.NaN], undefined],
    // The same floor in a process that also runs the service: (w)/(z) bounds (a)/(z) on this machine, and
    // (a)/(w) is the service's own request path beyond the floor, the process's weight taken out.
    [
      "(w)/(z)  the floor in the service's process vs bare",
      roundRatios('(w)', '(z)') ?? [Number.NaN],
      undefined,
    ],
    [
      '(a)/(w)  public route vs the floor in its process',
      roundRatios('(a)', '(w)') ?? [Number.NaN],
      undefined,
    ],
    ['(b)/(a)  reused token vs public', roundRatios('(b)', '(a)') ?? [b.rps / a.rps], 0.9],
    ['(b)/(i)  reused token vs public, same header', roundRatios('(b)', '(i)') ?? [b.rps / i.rps], undefined],
    ['(h)/(a)  two tokens taking turns vs public', roundRatios('(h)', '(a)') ?? [h.rps / a.rps], undefined],
    ['(b)/(d)  reused token vs baseline', roundRatios('(b)', '(d)') ?? [b.rps / d.rps], 5],
    ['(c)/(d)  new token each vs baseline', freshVsBaseline.rate, 5],
    // Each side's server was busy for a different share of its run (srv CPU): the same ratio by CPU time.
    ['(c)/(d)  by server CPU time per request', freshVsBaseline.cpu, undefined],
    ['(e)/(b)  @OrgScoped vs @RequireScope', roundRatios('(e)', '(b)') ?? [e.rps / b.rps], 0.85],
    ['(j)/(b)  edge check, JSON form vs @RequireScope', roundRatios('(j)', '(b)') ?? [j.rps / b.rps], 0.8],
    ['(k)/(b)  edge check, HTTP mode vs @RequireScope', roundRatios('(k)', '(b)') ?? [k.rps / b.rps], 0.8],
    ['(l)/(m)  edge check, gRPC vs do-nothing gRPC', measured.grpcVsCeiling, 0.7],
    ['(p)/(q)  DPoP, new proof each vs bearer', measured.dpopVsBearer, 0.5],
    // (q)'s client loop can be the limit (its load CPU near 100 %): the same comparison against (b), sent
    // by autocannon, and by the server's CPU time per request, which the client cannot hold back.
    ['(p)/(b)  DPoP vs (b), the same route by autocannon', [p.rps / b.rps], undefined],
    ['(p)/(q)  by server CPU time per request', [cpuPerRequest(q, qCpu) / cpuPerRequest(p, pCpu)], undefined],
    [
      '(r)/(t)  10,000 revoked subjects vs none',
      roundRatios('(r)', '(t)') ?? [byPhase('r').rps / byPhase('t').rps],
      0.95,
    ],
    [
      '(r)/(b)  the same vs (b), another process',
      roundRatios('(r)', '(b)') ?? [byPhase('r').rps / b.rps],
      undefined,
    ],
    ['(n)/(b)  MCP invoke route vs @RequireScope', roundRatios('(n)', '(b)') ?? [Number.NaN], 0.8],
    [
      '(n)/(o)  MCP invoke route vs the same POST scoped',
      roundRatios('(n)', '(o)') ?? [Number.NaN],
      undefined,
    ],
    ['(n)/(v)  MCP invoke route, audited vs not', roundRatios('(n)', '(v)') ?? [Number.NaN], undefined],
    ['(v)/(b)  MCP invoke route, not audited, vs (b)', roundRatios('(v)', '(b)') ?? [Number.NaN], undefined],
    [
      '(o)/(b)  POST with a JSON body vs GET, the service',
      roundRatios('(o)', '(b)') ?? [Number.NaN],
      undefined,
    ],
    [
      '(y)/(z)  POST with a JSON body vs GET, the bare app',
      roundRatios('(y)', '(z)') ?? [Number.NaN],
      undefined,
    ],
    [
      '(s)/(b)  MCP tools/call (Streamable HTTP) vs (b)',
      roundRatios('(s)', '(b)') ?? [Number.NaN],
      undefined,
    ],
    [
      '(u)/(b)  credential resolve (warm keys) vs reused token',
      roundRatios('(u)', '(b)') ?? [Number.NaN],
      undefined,
    ],
  ];
  for (const [name, values, target] of ratios) {
    const value = medianOf(values, (ratio) => ratio);
    // The lowest and highest round beside the median: a spread wider than a ratio's distance to its
    // target says this run cannot tell whether the target is met.
    const spread =
      values.length > 1 ? `${number(Math.min(...values), 2)}–${number(Math.max(...values), 2)}` : '';
    lines.push(
      row(
        [
          name,
          number(value, 2),
          spread,
          target === undefined ? 'no target' : `>= ${target}`,
          target === undefined ? '' : value >= target ? 'ok' : 'below target',
        ],
        [46, 9, 11, 9, 14],
      ),
    );
  }
  lines.push(
    'each ratio is the median of the ratios of its rounds (or parts), taken seconds apart; beside it, ' +
      'the lowest and the highest of them',
  );
  lines.push('');
  lines.push(
    `JWKS fetches by the services during the run: ${run.serviceJwksFetches} (expected 7: the API and edge key stores of the service and of (w)'s process, and the API key stores of (r)'s, (t)'s and (v)'s services)`,
  );
  lines.push(
    `DPoP replay entries in Redis right after (p): ${number(run.dpopReplayKeys)} ` +
      '(one per proof of the last proof window, each expiring with it)',
  );
  lines.push(
    `service RSS at the end: ${run.rss === undefined ? 'n/a (no /proc)' : `${number(run.rss, 1)} MiB`}`,
  );
  lines.push(
    'srv/load CPU: share of one core the server / load generator used while measured; srv well below 100% ' +
      'means the server waited (on I/O, or on another process sharing its core): its numbers are then low; ' +
      'a pinned generator polls instead of sleeping (but in (s), (n), (u) and (f), which make Postgres work, ' +
      'and in (v) and (g), their pairs), so its share reads about 100%',
  );
  lines.push(
    "of it sys: the part of srv µs/req spent in the kernel, on the server's system calls (reading requests, " +
      'writing responses and log batches)',
  );
  lines.push(
    run.pinned
      ? `CPU: servers pinned to CPU ${SERVER_CPU}, load generator to CPU ${LOAD_CPU} (taskset); ${CONNECTIONS} connections`
      : `CPU: UNPINNED (taskset unavailable): server and load generator share the cores; ${CONNECTIONS} connections`,
  );

  // Anything that was not a clean 2xx, warm-ups included, is shouted: the numbers above are then suspect.
  const problems: string[] = [];
  for (const phase of phases) {
    for (const [which, result] of [
      ['measured', phase.result],
      ['warm-up', phase.warmup],
    ] as const) {
      const bad = Object.entries(result.statuses).filter(([code]) => !code.startsWith('2'));
      if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0 || result.tokensShort > 0) {
        problems.push(
          `${phase.label.slice(0, 3)} ${which}: ${result.non2xx} non-2xx` +
            `${bad.length ? ` (${bad.map(([code, count]) => `${code}x${count}`).join(', ')})` : ''}, ` +
            `${result.errors} errors, ${result.timeouts} timeouts` +
            `${result.tokensShort ? `, ${result.tokensShort} requests without a fresh token` : ''}`,
        );
      }
    }
  }
  if (problems.length > 0) {
    lines.push('');
    lines.push('!!!!!!!! NON-2XX RESPONSES OR ERRORS !!!!!!!!');
    for (const problem of problems) lines.push(`!!! ${problem}`);
  }
  lines.push(`wall time: ${number(run.seconds, 1)} s`);
  process.stdout.write(`\n${lines.join('\n')}\n`);
}

/**
 * One of the NestJS-on-Fastify yardsticks (`bench/<name>/server.ts`, one public route, its port in
 * `portVariable`), started pinned beside the service and ready to be measured.
 */
async function startYardstick(
  name: 'bare' | 'floor',
  portVariable: string,
  cpu: number | undefined,
  running: Set<Server>,
): Promise<{ server: Server; base: string }> {
  const port = await freePort();
  const server = Server.start(
    `the ${name} app (bench/${name}/server.ts)`,
    `${name}/server.js`,
    { PATH: process.env.PATH ?? '', NODE_ENV: 'production', [portVariable]: String(port) },
    cpu,
  );
  running.add(server);
  const base = `http://127.0.0.1:${port}`;
  await server.waitFor(`${base}/bench/public`);
  log(`${name} app ready on ${base} (pid ${server.pid})`);
  return { server, base };
}

/** Another service process (bench/server.ts on `serviceEnv` and `extra`), started and ready to serve. */
async function startSecondService(
  what: string,
  issuerUrl: string,
  cpu: number | undefined,
  running: Set<Server>,
  extra: Record<string, string> = {},
): Promise<{ server: Server; base: string }> {
  const port = await freePort();
  const server = Server.start(
    `the service ${what}`,
    'server.js',
    { ...serviceEnv(port, issuerUrl), ...extra },
    cpu,
  );
  running.add(server);
  const base = `http://127.0.0.1:${port}`;
  await server.waitFor(`${base}/readyz`);
  log(`service ${what} ready on ${base} (pid ${server.pid})`);
  return { server, base };
}

/** The edge check of the service under test: the loopback issuer, one pinned cell, gRPC on `grpcPort`. */
function edgeEnv(issuerUrl: string, grpcPort: number): Record<string, string> {
  return {
    ALPHASWARM_TENANT_ROUTER_AUTH_MODE: 'required',
    ALPHASWARM_TENANT_ROUTER_OIDC_ISSUER: issuerUrl,
    ALPHASWARM_TENANT_ROUTER_OIDC_AUDIENCE: BENCH_AUDIENCE,
    ALPHASWARM_TENANT_ROUTER_CBA_DESTINATION_CELL_ID: 'cell-bench',
    ALPHASWARM_TENANT_ROUTER_GRPC_PORT: String(grpcPort),
  };
}

/** The service's environment: production mode, the bench database and Redis, the loopback issuer. */
function serviceEnv(port: number, issuerUrl: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    DATABASE_URL,
    REDIS_URL,
    ALPHASWARM_JOBS_QUEUE_PREFIX: REDIS_PREFIX,
    ALPHASWARM_AUTH_PROVIDER: 'oidc',
    ALPHASWARM_AUTH_OIDC_ISSUER: issuerUrl,
    ALPHASWARM_AUTH_OIDC_AUDIENCE: BENCH_AUDIENCE,
    // Mixed mode, as in the rollout: bearer phases pay the DPoP checks of the bearer path too.
    ALPHASWARM_AUTH0_DPOP_ENABLED: 'true',
    ALPHASWARM_PUBLIC_URL: `http://127.0.0.1:${port}`,
    ALPHASWARM_LOG_LEVEL: 'info',
    // Production requires it; one per run is enough for a bench that signs no invites.
    ALPHASWARM_TENANCY_INVITE_SECRET: INVITE_SECRET,
    // Production requires the credential store's key-encryption key too (one per run).
    ALPHASWARM_CREDENTIALS_KEKS: CREDENTIALS_KEKS,
    ALPHASWARM_CREDENTIALS_RESOLVE_CLIENT_IDS: RESOLVER_CLIENT,
    // The bench measures the resolver, not its limit.
    ALPHASWARM_CREDENTIALS_RESOLVE_RATE_LIMIT: '9999999',

    // Production requires it too; the log-stream phase sends it.
    ALPHASWARM_AUTH0_LOG_STREAM_SECRET: LOG_STREAM_SECRET,
    // The MCP phases: the Data server at its loopback address, strict RFC 8707 audiences.
    ALPHASWARM_MCP_DATA_CANONICAL_URI: `http://127.0.0.1:${port}/mcp/data`,
    ALPHASWARM_MCP_CODEBASE_CANONICAL_URI: `http://127.0.0.1:${port}/mcp/codebase`,
    ALPHASWARM_MCP_REQUIRE_RFC8707: 'strict',
  };
}

interface AuditCounters {
  readonly written: number;
  readonly droppedFull: number;
  readonly droppedFailed: number;
  readonly failures: number;
}

/** Fails the run unless the service at `base` holds `expected` revoked subjects (its own gauge). */
async function expectRevokedSubjects(base: string, phase: string, expected: number): Promise<void> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const held = Number(/^alphaswarm_revoked_subjects (\S+)$/m.exec(text)?.[1]);
  if (held !== expected) {
    throw new StartError(`${phase}'s service holds ${held} revoked subjects, not ${expected}`);
  }
}

/** The audit counters of a running service (after its flood, once its buffer had a moment to drain). */
async function auditCounters(base: string): Promise<AuditCounters> {
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const text = await (await fetch(`${base}/metrics`)).text();
  const value = (pattern: RegExp) => Number(pattern.exec(text)?.[1] ?? 0);
  return {
    written: value(/^alphaswarm_audit_events_written_total\{source="decisions"\} (\S+)$/m),
    droppedFull: value(/^alphaswarm_audit_events_dropped_total\{reason="buffer_full"\} (\S+)$/m),
    droppedFailed: value(/^alphaswarm_audit_events_dropped_total\{reason="write_failed"\} (\S+)$/m),
    failures: value(/^alphaswarm_audit_write_failures_total (\S+)$/m),
  };
}

function countersSince(before: AuditCounters, after: AuditCounters): AuditCounters {
  return {
    written: after.written - before.written,
    droppedFull: after.droppedFull - before.droppedFull,
    droppedFailed: after.droppedFailed - before.droppedFailed,
    failures: after.failures - before.failures,
  };
}

function reportAudit(denyPhases: readonly Phase[], audit: AuditCounters, ledger: LedgerWriteResult[]): void {
  const number = (value: number, digits = 0) =>
    value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  const row = (cells: string[], widths: number[]) =>
    cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
  const lines: string[] = ['', 'audit ledger'];
  const widths = [46, 9, 8, 8, 10, 10];
  lines.push(
    row(
      ['strict-deny flood (bad token, 401 each)', 'req/s', 'p50 ms', 'p99 ms', 'non-401', 'srv CPU'],
      widths,
    ),
  );
  lines.push('-'.repeat(widths.reduce((sum, width) => sum + width + 2, -2)));
  for (const { label, result, serverCpu, expectStatus } of denyPhases) {
    const off = result.requests - (result.statuses[expectStatus ?? '401'] ?? 0);
    lines.push(
      row(
        [
          label,
          number(result.rps),
          number(result.p50, 1),
          number(result.p99, 1),
          String(off),
          serverCpu === undefined ? 'n/a' : `${number(serverCpu * 100)}%`,
        ],
        widths,
      ),
    );
  }
  const [on, off] = denyPhases.map((phase) => phase.result);
  if (on && off) lines.push(row(['(f)/(g)  audit on vs off', number(on.rps / off.rps, 2)], [46, 9]));
  const total = on ? on.requests + denyPhases[0].warmup.requests : 0;
  lines.push(
    `(f) ledger: ${number(audit.written)} denies written (the load counted ${number(total)} responses, ` +
      `up to ${2 * CONNECTIONS} more were in flight), ${number(audit.droppedFull)} dropped (buffer full), ` +
      `${number(audit.droppedFailed)} dropped (write failed), ${number(audit.failures)} failed batch writes`,
  );
  lines.push('');
  const ledgerWidths = [52, 9, 9, 8];
  lines.push(
    row(['ledger writes (AuditLedger, 1 row/tx unless said)', 'rows/s', 'rows', 'seconds'], ledgerWidths),
  );
  lines.push('-'.repeat(ledgerWidths.reduce((sum, width) => sum + width + 2, -2)));
  for (const result of ledger) {
    lines.push(
      row(
        [result.label, number(result.rowsPerSecond), number(result.rows), number(result.seconds, 1)],
        ledgerWidths,
      ),
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

function reportLogStream(results: readonly LogStreamResult[]): void {
  const number = (value: number, digits = 0) =>
    value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  const row = (cells: string[], widths: number[]) =>
    cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
  const widths = [46, 10, 8, 9, 9, 8];
  const lines = [
    '',
    row(['log-stream ingestion (1% revoking)', 'events/s', 'batches', 'p50 ms', 'p99 ms', 'non-2xx'], widths),
  ];
  lines.push('-'.repeat(widths.reduce((sum, width) => sum + width + 2, -2)));
  for (const result of results) {
    lines.push(
      row(
        [
          result.label,
          number(result.eventsPerSecond),
          String(result.batches),
          number(result.p50, 1),
          number(result.p99, 1),
          String(result.failures),
        ],
        widths,
      ),
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

function unreachable(what: string, where: string): number {
  process.stderr.write(`bench: ${what} is unreachable at ${where}; start it (see README, "Two commands")\n`);
  return 1;
}

async function withAdmin(work: (admin: Client) => Promise<unknown>): Promise<void> {
  const admin = new Client({ connectionString: POSTGRES_ADMIN_URL });
  await admin.connect();
  try {
    await work(admin);
  } finally {
    await admin.end();
  }
}

/** A fresh database each run: the service migrates it at boot, as in production. */
function recreateDatabase(): Promise<void> {
  return withAdmin(async (admin) => {
    await admin.query(`DROP DATABASE IF EXISTS "${DATABASE}" WITH (FORCE)`);
    await admin.query(`CREATE DATABASE "${DATABASE}"`);
  });
}

/** A user, an organization and a membership, as the tenancy REST routes would leave them. */
async function seedMembership(sub: string): Promise<string> {
  const client = new Client({ connectionString: DATABASE_URL });
  await client.connect();
  try {
    const { rows } = await client.query<{ id: string }>(
      `WITH org AS (INSERT INTO organizations (kind, name) VALUES ('personal', 'bench') RETURNING id),
            usr AS (INSERT INTO users (sub) VALUES ($1) RETURNING id)
       INSERT INTO memberships (user_id, org_id, scope_kind, scope_id, role, source)
       SELECT usr.id, org.id, 'organization', org.id, 'member', 'manual' FROM usr, org RETURNING org_id AS id`,
      [sub],
    );
    return rows[0].id;
  } finally {
    await client.end();
  }
}

function dropDatabase(): Promise<void> {
  return withAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS "${DATABASE}" WITH (FORCE)`));
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      `bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);

/**
 * One Alpaca credential in an organization of its own, created through the API by an admin after MFA
 * (so it is sealed as in production), and what (r) sends to resolve it.
 */
async function seedBrokerCredential(
  base: string,
  issuer: BenchIssuer,
): Promise<{ body: string; headers: Record<string, string> }> {
  const admin = 'auth0|bench-credentials-admin';
  const client = new Client({ connectionString: DATABASE_URL });
  await client.connect();
  let orgId: string;
  try {
    const { rows } = await client.query<{ id: string }>(
      `WITH org AS (INSERT INTO organizations (kind, name) VALUES ('personal', 'bench credentials') RETURNING id),
            usr AS (INSERT INTO users (sub) VALUES ($1) RETURNING id)
       INSERT INTO memberships (user_id, org_id, scope_kind, scope_id, role, source)
       SELECT usr.id, org.id, 'organization', org.id, 'owner', 'manual' FROM usr, org RETURNING org_id AS id`,
      [admin],
    );
    orgId = rows[0].id;
  } finally {
    await client.end();
  }
  const token = await issuer.tokenWith({
    sub: admin,
    permissions: ['manage:broker_credentials'],
    amr: ['pwd', 'mfa'],
    auth_time: Math.floor(Date.now() / 1000),
  });
  const created = await fetch(`${base}/tenancy/orgs/${orgId}/broker-credentials`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      name: 'bench-paper',
      kind: 'alpaca',
      environment: 'paper',
      secret: { key_id: 'PKBENCH0000000000001', secret_key: randomBytes(30).toString('base64url') },
    }),
  });
  if (created.status !== 201) throw new StartError(`the bench credential was refused (${created.status})`);
  const { id } = (await created.json()) as { id: string };
  const m2m = await issuer.tokenWith({
    sub: `${RESOLVER_CLIENT}@clients`,
    azp: RESOLVER_CLIENT,
    gty: 'client-credentials',
    permissions: [],
  });
  return {
    body: JSON.stringify({ org_id: orgId, credential_id: id }),
    headers: { authorization: `Bearer ${m2m}`, 'content-type': 'application/json' },
  };
}
