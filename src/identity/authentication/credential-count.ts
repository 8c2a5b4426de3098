import type { AuthenticatedRequest } from '../request-context';

const FORM = 'application/x-www-form-urlencoded';

/**
 * How many credentials the request presents (RFC 6750 §2: a client uses one method per request).
 * Node keeps only the first of several `Authorization` headers in `headers`, so the raw list is
 * counted: a proxy that keeps the last one would otherwise authenticate someone else than we did.
 * An `access_token` in the query or in a form body counts too; neither is ever accepted as a
 * credential (tokens in URLs end up in logs), but beside a header they make the request ambiguous.
 */
export function credentialCount(request: AuthenticatedRequest): number {
  let count = 0;
  if (request.headers.authorization !== undefined) {
    const raw = request.raw.rawHeaders;
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i];
      if (name.length === 13 && name.toLowerCase() === 'authorization') count += 1;
    }
  }
  if (hasAccessToken(request.query)) count += 1;
  if (request.headers['content-type']?.startsWith(FORM) === true && hasAccessToken(request.body)) count += 1;
  return count;
}

function hasAccessToken(carrier: unknown): boolean {
  return typeof carrier === 'object' && carrier !== null && Object.hasOwn(carrier, 'access_token');
}
