/**
 * Which Auth0 log events revoke a user's tokens (docs/revocation.md keeps the same table). Every other
 * type code is stored (for dedupe) and otherwise ignored.
 */
export const REVOKING_EVENT_TYPES: Readonly<Record<string, string>> = {
  slo: 'logout',
  scp: 'password changed',
  sdu: 'user deleted',
  limit_wc: 'account blocked after too many failed logins',
  limit_sul: 'user blocked after too many logins',
  srrt: 'refresh token revoked',
  ferrt: 'refresh-token reuse detected',
  oidc_backchannel_logout_succeeded: 'back-channel logout',
  universal_logout_succeeded: 'universal logout',
};

/** Auth0's type code for a Management API call; revoking ones are told apart by their request. */
export const MANAGEMENT_API_EVENT = 'sapi';

/** What an event means for revocation: whose tokens it is about, and whether it revokes them. */
export interface EventMeaning {
  readonly subject: string | null;
  readonly revokes: boolean;
}

/** `/api/v2/users/{id}` and `/api/v2/users/{id}/{sessions|refresh-tokens}` (the API prefix optional). */
const USER_PATH = /^(?:\/api\/v2)?\/users\/([^/?#]+)(\/sessions|\/refresh-tokens)?\/?(?:[?#].*)?$/;

/**
 * The meaning of one event: a revoking type code with a `user_id`, or a Management API call that
 * deletes a user, their sessions or refresh tokens, blocks them or sets their password. A revoking event
 * without a user to revoke revokes nothing (it cannot be attributed).
 */
export function meaningOf(type: string, userId: string | null, details: unknown): EventMeaning {
  if (type === MANAGEMENT_API_EVENT)
    return managementApiMeaning(details) ?? { subject: userId, revokes: false };
  return { subject: userId, revokes: userId !== null && Object.hasOwn(REVOKING_EVENT_TYPES, type) };
}

function managementApiMeaning(details: unknown): EventMeaning | undefined {
  const request = field(details, 'request');
  const method = field(request, 'method');
  const path = field(request, 'path');
  if (typeof method !== 'string' || typeof path !== 'string') return undefined;
  const match = USER_PATH.exec(path);
  if (!match) return undefined;
  const subject = decoded(match[1]);
  if (subject === undefined) return undefined;
  const verb = method.toUpperCase();
  // DELETE users/{id}, users/{id}/sessions, users/{id}/refresh-tokens: gone, or logged out everywhere.
  if (verb === 'DELETE') return { subject, revokes: true };
  if (verb === 'PATCH' && match[2] === undefined) {
    const body = field(request, 'body');
    const blocked = field(body, 'blocked') === true;
    const passwordSet = typeof field(body, 'password') === 'string';
    return { subject, revokes: blocked || passwordSet };
  }
  return { subject, revokes: false };
}

function field(value: unknown, name: string): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  return Object.hasOwn(value, name) ? (value as Record<string, unknown>)[name] : undefined;
}

/** A percent-decoded user id (`auth0%7Cabc` → `auth0|abc`), or undefined when it does not decode. */
function decoded(segment: string): string | undefined {
  try {
    const id = decodeURIComponent(segment);
    return id.length > 0 && id.length <= 512 ? id : undefined;
  } catch {
    return undefined;
  }
}
