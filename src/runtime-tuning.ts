import { setFlagsFromString } from 'node:v8';

/**
 * Two V8 flags for the whole process, set at boot before the app is built.
 *
 * `--no-allocation-site-pretenuring` (ADR 0018). V8 watches where objects are allocated, and once nearly
 * all of a site's objects outlive a scavenge it allocates that site's objects straight in the old
 * generation, for good. The verified-token cache keeps every principal while it fills, so allocation
 * sites a verification uses are judged long-lived then; once the cache is full their objects are
 * garbage a request later, yet still born old, and each keeps what it points to (the token, its claims)
 * alive through the young generation's collections into the old one, until a full collection. With it
 * off, a never-seen token promoted about 130 bytes instead of about 1,500, for about 5 % less server CPU
 * a request (docs/benchmark.md).
 *
 * `--max-valid-polymorphic-map-count=16` (ADR 0019). Every route runs the same framework code (Fastify's
 * request and reply, Nest's router and guard calls, pino), and each route hands it objects of its own
 * shapes. Past four shapes V8 turns a property access megamorphic and looks it up in a global cache on
 * every call; sixteen keeps the shared sites polymorphic once the service has answered its few kinds of
 * request: 3–6 % fewer instructions for a public route and for a token the verified-token cache knows.
 *
 * Called first thing by the entry points (`main.ts`, the bench's server), before the app allocates.
 */
export function tuneRuntime(): void {
  setFlagsFromString('--no-allocation-site-pretenuring');
  setFlagsFromString('--max-valid-polymorphic-map-count=16');
}
