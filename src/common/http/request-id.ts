import { randomBytes } from 'node:crypto';

/** A caller-supplied request id is kept only when it is short and plain; otherwise we make one. */
const SUPPLIED_REQUEST_ID = /^[\w.:-]{1,128}$/;

/**
 * Ids this process makes: 96 random bits drawn once per process, then a counter in base 36
 * (`Xq3…9w-1k2`). Unique across instances and restarts as a UUID is, for an increment per request: a
 * UUID per request cost a public route about 0.8 µs of its ~24 (docs/benchmark.md). They match the
 * supplied-id pattern, so a service that forwards ours keeps it.
 */
const PROCESS_PREFIX = randomBytes(12).toString('base64url');
let issued = 0;

export function newRequestId(): string {
  issued += 1;
  return `${PROCESS_PREFIX}-${issued.toString(36)}`;
}

/** The caller's id when it is a string of up to 128 word characters, `.`, `:` or `-`; else a new one. */
export function requestIdFrom(supplied: unknown): string {
  return typeof supplied === 'string' && SUPPLIED_REQUEST_ID.test(supplied) ? supplied : newRequestId();
}
