import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Logger } from '@nestjs/common';
import { exportJWK, importJWK, type JWK } from 'jose';
import { JwksClient } from 'jwks-rsa';
import { Registry } from 'prom-client';
import type { AppConfig } from '../src/config/app-config';
import { JWKS_FETCH_TIMEOUT_MS, JwksKeyStore } from '../src/identity/jwt/jwks-key-store';
import { MetricsService } from '../src/observability/metrics.service';

/**
 * `npm run bench:jwks`: the JWKS key store (fetch, parse, import each key once with jose) against
 * jwks-rsa 3.2.2's `JwksClient` doing the fetch and parse, on a loopback JWKS of N RSA-2048 keys, plus
 * a known-kid lookup and an IdP that stalls. Reports medians; never asserts. Why the store stays:
 * docs/adr/0002-jwks-key-store-on-jose.md.
 */

const KEY_COUNTS = [1, 4, 16];
const COLD_ROUNDS = 60;
/** Discarded rounds first, so the first key count does not pay for warming up V8 and the HTTP clients. */
const WARMUP_ROUNDS = 10;
const HOT_LOOKUPS = 1_000_000;

async function jwksOf(count: number): Promise<{ keys: JWK[] }> {
  const keys: JWK[] = [];
  for (let i = 0; i < count; i += 1) {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    keys.push({ ...(await exportJWK(publicKey)), kid: `k${i}`, alg: 'RS256', use: 'sig' });
  }
  return { keys };
}

async function serve(body: string): Promise<{ server: Server; uri: string }> {
  const server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'application/json' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, uri: `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json` };
}

function storeFor(uri: string): JwksKeyStore {
  const config = { auth: { jwksUri: uri } } as AppConfig;
  // A bare registry per store: MetricsService's default metrics start an event-loop monitor each, and
  // dozens of those running would slow every variant measured here.
  const metrics = Object.assign(Object.create(MetricsService.prototype) as MetricsService, {
    registry: new Registry(),
  });
  return new JwksKeyStore(config, metrics);
}

/** Fetch and parse by jwks-rsa, then each key imported once, as the store does. */
async function viaGetKeys(client: JwksClient): Promise<KeyObject[]> {
  const keys = (await client.getKeys()) as JWK[];
  return Promise.all(keys.map(async (jwk) => (await importJWK({ ...jwk, ext: true }, 'RS256')) as KeyObject));
}

/** jwks-rsa all the way: it imports each key, exports it as PEM, and the verifier imports the PEM again. */
async function viaSigningKeys(client: JwksClient): Promise<KeyObject[]> {
  const keys = await client.getSigningKeys();
  return keys.map((key) => createPublicKey(key.getPublicKey()));
}

/**
 * Each new store allocates its caches up front; without a collection between variants, the garbage
 * of one lands in the timing of another. Needs `node --expose-gc`; a no-op otherwise.
 */
const collectGarbage = () => (globalThis as { gc?: () => void }).gc?.();
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const microseconds = (since: bigint) => Number(process.hrtime.bigint() - since) / 1000;

async function cold(count: number, uri: string): Promise<Record<string, number>> {
  const runs: Record<string, number[]> = { store: [], getKeys: [], getSigningKeys: [] };
  // Interleaved, so a busy moment on the machine lands on every variant alike.
  for (let round = -WARMUP_ROUNDS; round < COLD_ROUNDS; round += 1) {
    const store = storeFor(uri);
    collectGarbage();
    let start = process.hrtime.bigint();
    await store.keysFor(`k${count - 1}`, 'RS256');
    runs.store.push(microseconds(start));

    const client = new JwksClient({ jwksUri: uri, cache: false, timeout: 5000 });
    collectGarbage();
    start = process.hrtime.bigint();
    await viaGetKeys(client);
    runs.getKeys.push(microseconds(start));

    collectGarbage();
    start = process.hrtime.bigint();
    await viaSigningKeys(client);
    runs.getSigningKeys.push(microseconds(start));
  }
  return Object.fromEntries(
    Object.entries(runs).map(([name, values]) => [name, median(values.slice(WARMUP_ROUNDS))]),
  );
}

async function hot(uri: string): Promise<Record<string, number>> {
  const store = storeFor(uri);
  await store.keysFor('k0', 'RS256');
  let start = process.hrtime.bigint();
  for (let i = 0; i < HOT_LOOKUPS; i += 1) store.knownKeys('k0', 'RS256');
  const knownKey = (microseconds(start) * 1000) / HOT_LOOKUPS;

  // jwks-rsa's own answer to "the key for this kid": its memoized getSigningKey.
  const client = new JwksClient({ jwksUri: uri, cache: true, timeout: 5000 });
  await client.getSigningKey('k0');
  start = process.hrtime.bigint();
  for (let i = 0; i < HOT_LOOKUPS / 10; i += 1) await client.getSigningKey('k0');
  const getSigningKey = (microseconds(start) * 1000) / (HOT_LOOKUPS / 10);
  return { knownKey, getSigningKey };
}

/**
 * An IdP that sends its headers and the start of a body, then nothing: how long until each way gives
 * up. jwks-rsa's `timeout` is an idle-socket timeout whose promise is left unsettled once the body has
 * started, so it is cut off here at twice the store's deadline.
 */
async function stalled(): Promise<Record<string, string>> {
  const server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'application/json' }).write('{"keys":[');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const uri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
  const giveUp = 2 * JWKS_FETCH_TIMEOUT_MS;
  const outcome = async (attempt: Promise<unknown>): Promise<string> => {
    const start = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const cutOff = new Promise<string>((resolve) => {
      timer = setTimeout(() => resolve(`still waiting after ${giveUp} ms`), giveUp);
    });
    const settled = attempt.then(
      () => 'resolved',
      () => `failed after ${Date.now() - start} ms`,
    );
    const result = await Promise.race([settled, cutOff]);
    clearTimeout(timer);
    return result;
  };
  const [store, getKeys] = await Promise.all([
    outcome(storeFor(uri).keysFor('k0', 'RS256')),
    outcome(new JwksClient({ jwksUri: uri, cache: false, timeout: JWKS_FETCH_TIMEOUT_MS }).getKeys()),
  ]);
  server.closeAllConnections();
  server.close();
  return { store, getKeys };
}

async function main(): Promise<void> {
  // The store's warning about the stalled IdP is expected here; the outcome is printed instead.
  Logger.overrideLogger(false);
  console.log(`cold fetch + import, median of ${COLD_ROUNDS} (µs)`);
  for (const count of KEY_COUNTS) {
    const { server, uri } = await serve(JSON.stringify(await jwksOf(count)));
    const result = await cold(count, uri);
    console.log(
      `  ${count} keys: ${JSON.stringify(result, (_k, v: unknown) => (typeof v === 'number' ? Math.round(v) : v))}`,
    );
    if (count === 1) {
      const lookups = await hot(uri);
      console.log(
        `known kid lookup (ns): ${JSON.stringify(lookups, (_k, v: unknown) => (typeof v === 'number' ? Math.round(v) : v))}`,
      );
    }
    server.close();
  }
  console.log(`an IdP that stalls mid-body: ${JSON.stringify(await stalled())}`);
}

void main();
