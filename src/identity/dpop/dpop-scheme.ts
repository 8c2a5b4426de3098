import { AuthError } from '../errors/auth-error';
import { B64TOKEN, MAX_BEARER_LENGTH } from '../jwt/bearer';

const SPACE = 0x20;

/** Whether an `Authorization` header uses the `DPoP` scheme (any case, RFC 7235 §2.1). */
export function isDpopScheme(header: string | string[] | undefined): header is string {
  return (
    typeof header === 'string' &&
    header.length >= 4 &&
    header.slice(0, 4).toLowerCase() === 'dpop' &&
    (header.length === 4 || header.charCodeAt(4) === SPACE)
  );
}

/**
 * The access token of an `Authorization: DPoP <token>` header (RFC 9449 §7.1), or undefined for any
 * other scheme. A `DPoP` header that is not exactly one b64token is `malformed_token`, as for Bearer.
 */
export function readDpopToken(header: string | string[] | undefined): string | undefined {
  if (!isDpopScheme(header)) return undefined;
  let start = 5;
  while (header.charCodeAt(start) === SPACE) start += 1;
  const token = header.slice(start);
  if (token.length === 0 || token.length > MAX_BEARER_LENGTH || !B64TOKEN.test(token)) {
    throw new AuthError('malformed_token');
  }
  return token;
}
