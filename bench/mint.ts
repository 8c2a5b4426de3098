import { randomUUID } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { importPKCS8, SignJWT } from 'jose';
import { accessTokenClaims } from './issuer';

interface MintJob {
  readonly issuer: string;
  readonly kid: string;
  readonly privateKeyPem: string;
  readonly count: number;
}

/**
 * Mints `count` distinct tokens (each its own `jti`) across every core with worker threads: RS256
 * signing with a 2048-bit key runs about 1,000-1,500 a second per core, so one thread would make the
 * fresh-token phase wait several times longer than the phase itself. Runs while nothing is measured.
 */
export async function mintTokens(job: Omit<MintJob, 'count'>, count: number): Promise<string[]> {
  const workers = Math.max(1, Math.min(availableParallelism(), count));
  const shares = Array.from(
    { length: workers },
    (_, i) => Math.floor(count / workers) + (i < count % workers ? 1 : 0),
  );
  const batches = await Promise.all(
    shares.map(
      (share) =>
        new Promise<string[]>((resolve, reject) => {
          const worker = new Worker(join(__dirname, 'mint.js'), {
            workerData: { ...job, count: share } satisfies MintJob,
          });
          worker.once('message', (tokens: string[]) => resolve(tokens));
          worker.once('error', reject);
          worker.once('exit', (code) => {
            if (code !== 0) reject(new Error(`token minting worker exited with ${code}`));
          });
        }),
    ),
  );
  return batches.flat();
}

async function mintInWorker(job: MintJob): Promise<string[]> {
  const key = await importPKCS8(job.privateKeyPem, 'RS256');
  const tokens: string[] = [];
  for (let i = 0; i < job.count; i += 1) {
    tokens.push(
      await new SignJWT(accessTokenClaims(job.issuer, randomUUID()))
        .setProtectedHeader({ alg: 'RS256', kid: job.kid, typ: 'at+jwt' })
        .sign(key),
    );
  }
  return tokens;
}

// This same file is the worker's entry point (dist/bench/mint.js), so the minting code lives in one place.
if (!isMainThread && parentPort) {
  const port = parentPort;
  void mintInWorker(workerData as MintJob).then((tokens) => port.postMessage(tokens));
}
