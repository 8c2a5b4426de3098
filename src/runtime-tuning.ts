import { setFlagsFromString } from 'node:v8';

/**
 * V8's allocation-site pretenuring, turned off for the process (ADR 0018). V8 watches where objects are
 * allocated, and once nearly all of a site's objects outlive a scavenge it allocates that site's objects
 * straight in the old generation, for good. The verified-token cache keeps every principal while it
 * fills, so allocation sites a verification uses are judged long-lived then; once the cache is full
 * their objects are garbage a request later, yet still born old, and each keeps what it points to (the
 * token, its claims) alive through the young generation's collections into the old one, until a full
 * collection. With it off, a never-seen token promoted about 130 bytes instead of about 1,500, for about
 * 5 % less server CPU a request (docs/benchmark.md).
 *
 * Called first thing by the entry points (`main.ts`, the bench's server), before the app allocates.
 */
export function tuneRuntime(): void {
  setFlagsFromString('--no-allocation-site-pretenuring');
}
