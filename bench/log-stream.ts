import { randomUUID } from 'node:crypto';
import { Client } from 'pg';

/** One ingestion run: batches of one size posted back to back by a few concurrent senders. */
export interface LogStreamResult {
  readonly label: string;
  readonly batchSize: number;
  readonly batches: number;
  readonly eventsPerSecond: number;
  /** Milliseconds from sending a batch to its 2xx answer. */
  readonly p50: number;
  readonly p99: number;
  readonly failures: number;
  readonly seconds: number;
}

/** Senders posting at once: Auth0 delivers one stream's batches one at a time, several streams overlap. */
const SENDERS = 4;
/** Of every hundred events this many are revoking (`slo`): a job each, after the answer. */
const REVOKING_PER_HUNDRED = 1;

/** A batch as Auth0's Custom Webhook sends it, as a JSON array, every `log_id` new. */
function batchOf(size: number): string {
  const date = new Date().toISOString();
  const events = Array.from({ length: size }, (_, i) => {
    const id = `90020${randomUUID().replace(/-/g, '')}`;
    const revoking = i % 100 < REVOKING_PER_HUNDRED;
    return {
      log_id: id,
      data: {
        log_id: id,
        date,
        type: revoking ? 'slo' : 's',
        user_id: `auth0|bench-stream-${randomUUID()}`,
        client_id: 'bench-client',
        ip: '203.0.113.7',
        user_agent: 'Mozilla/5.0 (X11; Linux x86_64) bench',
        details: { prompts: [], initiatedAt: Date.now(), completedAt: Date.now() },
      },
    };
  });
  return JSON.stringify(events);
}

/**
 * Posts batches of `batchSize` for about `seconds` (bodies built before the clock starts) and reports
 * events stored per second and the answer's latency. What is measured is the webhook's own work:
 * authenticate, parse, sort, store in one statement, answer; the revocations run afterwards.
 */
export async function measureLogStream(
  base: string,
  secret: string,
  batchSize: number,
  seconds: number,
): Promise<LogStreamResult> {
  const bodies: string[] = [];
  // Enough bodies for the run at a generous rate; each is used once (a resent one would be a duplicate).
  const wanted = Math.max(SENDERS * 2, Math.ceil((seconds * 60_000) / batchSize));
  for (let i = 0; i < Math.min(wanted, 2000); i += 1) bodies.push(batchOf(batchSize));
  const latencies: number[] = [];
  let stored = 0;
  let failures = 0;
  let next = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const sender = async (): Promise<void> => {
    while (performance.now() < deadline && next < bodies.length) {
      const body = bodies[next];
      next += 1;
      const sent = performance.now();
      const res = await fetch(`${base}/_internal/auth0/log-stream`, {
        method: 'POST',
        headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
        body,
      });
      const answer = (await res.json()) as { stored?: number };
      latencies.push(performance.now() - sent);
      if (res.ok) stored += answer.stored ?? 0;
      else failures += 1;
    }
  };
  await Promise.all(Array.from({ length: SENDERS }, sender));
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((x, y) => x - y);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return {
    label: `log stream, batches of ${batchSize.toLocaleString('en-US')}`,
    batchSize,
    batches: latencies.length,
    eventsPerSecond: stored / elapsed,
    p50: at(0.5),
    p99: at(0.99),
    failures,
    seconds: elapsed,
  };
}

/** Stores `count` revoked subjects (none of them the bench user), as cleanup_for_user would leave them. */
export async function seedRevocations(databaseUrl: string, count: number): Promise<void> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(
      `INSERT INTO token_revocations (subject, revoked_before)
       SELECT 'auth0|bench-revoked-' || n, now() FROM generate_series(1, $1) AS n`,
      [count],
    );
  } finally {
    await client.end();
  }
}
