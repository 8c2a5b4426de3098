import { AuthError } from '../errors/auth-error';

/** Longer than any access token an IdP issues; longer headers are refused before any parsing. */
export const MAX_BEARER_LENGTH = 8192;
/** RFC 6750 §2.1: the credentials after `Bearer` are one b64token. */
export const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
const SPACE = 0x20;

/** What one `Authorization` header carries, as far as this resource server is concerned. */
export type PresentedCredentials =
  | { readonly scheme: 'none' }
  /** RFC 6750 §3.1: credentials of a method we do not support carry no Bearer credentials. */
  | { readonly scheme: 'other' }
  | { readonly scheme: 'bearer'; readonly token: string };

const NONE: PresentedCredentials = { scheme: 'none' };
const OTHER: PresentedCredentials = { scheme: 'other' };

/**
 * The credentials of an `Authorization` header: none, another scheme (`Basic …`, `Token …`, a bare
 * token: the auth-scheme of RFC 7235 is what precedes the first space), or exactly one bearer token.
 * A `Bearer` header that is not exactly one b64token (empty, two tokens, bad characters, oversized)
 * is `malformed_token`.
 */
export function readBearer(header: string | string[] | undefined): PresentedCredentials {
  const presented = readBearerForInspection(header);
  if (presented.scheme === 'bearer' && !B64TOKEN.test(presented.token))
    throw new AuthError('malformed_token');
  return presented;
}

/**
 * `readBearer` without its character check, for a caller that hands the token to
 * `AccessTokenRules.inspect` next. Its checks are stricter: three base64url segments, whose alphabet and
 * dots lie inside b64token's, so every token the character check would refuse, `inspect` refuses as
 * `malformed_token` before reading anything in it. Spares a never-seen token one scan of ~1 KB.
 */
export function readBearerForInspection(header: string | string[] | undefined): PresentedCredentials {
  if (header === undefined) return NONE;
  if (typeof header !== 'string' || !isBearerScheme(header)) return OTHER;
  const candidate = bearerCandidate(header);
  if (candidate === undefined || candidate.length === 0) throw new AuthError('malformed_token');
  return { scheme: 'bearer', token: candidate };
}

/** `Bearer` in any case, alone or followed by a space. */
function isBearerScheme(header: string): boolean {
  return (
    header.length >= 6 &&
    header.slice(0, 6).toLowerCase() === 'bearer' &&
    (header.length === 6 || header.charCodeAt(6) === SPACE)
  );
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
  if (!isBearerScheme(header)) return undefined;
  let start = 7;
  while (header.charCodeAt(start) === SPACE) start += 1;
  return header.slice(start);
}
