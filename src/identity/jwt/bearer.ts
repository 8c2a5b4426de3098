import { AuthError } from '../errors/auth-error';

/** Longer than any access token an IdP issues; longer headers are refused before any parsing. */
export const MAX_BEARER_LENGTH = 8192;
/** RFC 6750 §2.1: `Bearer` (any case) then one b64token. */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i;

/**
 * The bearer token of an `Authorization` header: `null` when there is no header, the token when there is
 * exactly one bearer token, `malformed_token` for anything else (no scheme, another scheme, two tokens,
 * empty, oversized). Any credentials sent count as "a token": they are always fully checked.
 */
export function readBearer(header: string | string[] | undefined): string | null {
  if (header === undefined) return null;
  if (typeof header !== 'string' || header.length > MAX_BEARER_LENGTH + 16)
    throw new AuthError('malformed_token');
  const match = BEARER.exec(header);
  if (!match) throw new AuthError('malformed_token');
  return match[1];
}
