import { QueryFailedError } from 'typeorm';
import { RequestError } from '../common/errors/request-error';

/** Socket errors of a database that cannot be reached (refused, reset, timed out, unresolvable). */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
]);
/**
 * SQLSTATE classes that say "the server cannot serve now", not "the statement is wrong": 08 connection
 * exception, 53 insufficient resources, 57P0x operator intervention (shutdown, crash recovery).
 */
const UNAVAILABLE_SQLSTATE = /^(08|53|57P0)/;
/** What `pg` and its pool throw, without a code, when the connection drops or never opens. */
const DROPPED =
  /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection is not established|Client was closed/i;

/** Whether `error` means the database is unreachable (the caller may retry), not that the request is bad. */
export function isDatabaseUnavailable(error: unknown): boolean {
  const cause = error instanceof QueryFailedError ? (error.driverError as unknown) : error;
  if (typeof cause !== 'object' || cause === null) return false;
  const code = (cause as { code?: unknown }).code;
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || UNAVAILABLE_SQLSTATE.test(code))) return true;
  return cause instanceof Error && DROPPED.test(cause.message);
}

/**
 * Runs `work` (one transaction) and answers 503 `service_unavailable` when the database cannot be
 * reached: Auth0 retries a failed Action call at the next login, and a transaction that did not commit
 * left nothing half-created. Never an allow, never a 500 for an outage.
 */
export async function unlessDatabaseDown<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (isDatabaseUnavailable(error)) {
      throw new RequestError('service_unavailable', 503, 'The database is not available; try again later');
    }
    throw error;
  }
}
