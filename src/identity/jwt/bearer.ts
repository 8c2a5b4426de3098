import { AuthError } from '../errors/auth-error';

/** Longer than any access token an IdP issues; longer headers are refused before any parsing. */
export const MAX_BEARER_LENGTH = 8192;
/** RFC 6750 §2.1: the credentials after `Bearer` are one b64token. */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
const SPACE = 0x20;

/**
 * The bearer token of an `Authorization` header: `null` when there is no header, the token when there is
 * exactly one bearer token, `malformed_token` for anything else (no scheme, another scheme, two tokens,
 * empty, oversized). Any credentials sent count as "a token": they are always fully checked.
 */
export function readBearer(header: string | string[] | undefined): string | null {
  if (header === undefined) return null;
  const candidate = bearerCandidate(header);
  if (candidate === undefined || !B64TOKEN.test(candidate)) throw new AuthError('malformed_token');
  return candidate;
}

/**
 * What follows `Bearer` (any case) and one or more spaces, without checking its characters: good alone
 * only as a key into what `readBearer` already accepted, because a string that equals an accepted token
 * passes the same checks. Saves the character scan of a ~1 KB header on every request that reuses a
 * verified token.
 */
export function bearerCandidate(header: string | string[] | undefined): string | undefined {
  if (typeof header !== 'string' || header.length < 8 || header.length > MAX_BEARER_LENGTH + 16) {
    return undefined;
  }
  if (header.charCodeAt(6) !== SPACE || header.slice(0, 6).toLowerCase() !== 'bearer') return undefined;
  let start = 7;
  while (header.charCodeAt(start) === SPACE) start += 1;
  return header.slice(start);
}
