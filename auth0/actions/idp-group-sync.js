// @ts-check
/**
 * alphaswarm-idp-group-sync — Login trigger, first in the flow (before alphaswarm-post-login, so the
 * roles the groups grant are in the claims of the same login).
 *
 * Sends the groups an enterprise IdP gave the user to POST /_internal/idp/sync-groups (docs/auth0.md),
 * which turns them into memberships through the organization's group mappings and removes the ones the
 * groups no longer grant. Group-to-role mappings live in the service, never here.
 *
 * It never grants anything itself: it sets no claim and no role, whatever happens. When the service is
 * unreachable the memberships stay as they were, and the login goes on.
 *
 * Secrets: the same as alphaswarm-post-login (ALPHASWARM_API_URL, ALPHASWARM_M2M_CLIENT_ID,
 * ALPHASWARM_M2M_CLIENT_SECRET, ALPHASWARM_M2M_AUDIENCE, AUTH0_DOMAIN). The M2M token is cached per
 * Action: Auth0 does not share one Action's cache with another.
 */

/** @typedef {import('./actions').PostLoginEvent} PostLoginEvent */
/** @typedef {import('./actions').PostLoginAPI} PostLoginAPI */
/** @typedef {import('./actions').Secrets} Secrets */
/** @typedef {import('./actions').ActionsCache} ActionsCache */

/** Each call gets this long: an Action has 20 s in all, and a slow service must not eat them. */
const CALL_TIMEOUT_MS = 5000;
const MAX_GROUPS = 1000;

// ── M2M token (the same block in every Action that calls the service) ──────────────────────────────
/**
 * The token endpoint of the tenant's own domain. AUTH0_DOMAIN is a host (https is implied) or, for a
 * loopback test stand-in, an origin. The custom domain is the issuer of user tokens, but a
 * client-credentials grant for the service is minted on the tenant domain (docs/auth0.md).
 * @param {Secrets} secrets
 */
function tokenEndpointOf(secrets) {
  const domain = (secrets.AUTH0_DOMAIN || '').replace(/\/+$/, '');
  if (!domain) return null;
  return `${/^https?:\/\//.test(domain) ? domain : `https://${domain}`}/oauth/token`;
}

/**
 * A client-credentials token for the service: from this Action's cache, else minted and cached until
 * a minute before it expires. Null when it cannot be had.
 * @param {Secrets} secrets
 * @param {ActionsCache} cache
 */
async function m2mToken(secrets, cache) {
  const key = `alphaswarm-m2m:${secrets.ALPHASWARM_M2M_CLIENT_ID}:${secrets.ALPHASWARM_M2M_AUDIENCE}`;
  const cached = cache.get(key);
  if (cached && cached.value) return cached.value;
  const endpoint = tokenEndpointOf(secrets);
  if (!endpoint || !secrets.ALPHASWARM_M2M_CLIENT_ID || !secrets.ALPHASWARM_M2M_CLIENT_SECRET) return null;
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      grant_type: 'client_credentials',
      client_id: secrets.ALPHASWARM_M2M_CLIENT_ID,
      client_secret: secrets.ALPHASWARM_M2M_CLIENT_SECRET,
      audience: secrets.ALPHASWARM_M2M_AUDIENCE,
    }),
    signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
  });
  if (!response.ok) return null;
  const body = /** @type {{ access_token?: unknown, expires_in?: unknown }} */ (await response.json());
  if (typeof body.access_token !== 'string') return null;
  const lifetime = typeof body.expires_in === 'number' ? body.expires_in : 300;
  if (lifetime > 120) cache.set(key, body.access_token, { ttl: (lifetime - 60) * 1000 });
  return body.access_token;
}

/**
 * POSTs `payload` to the service with the M2M token; the parsed answer, or null on any failure. A
 * refused token (401/403) is dropped from the cache, so the next login mints a fresh one.
 * @param {Secrets} secrets
 * @param {ActionsCache} cache
 * @param {string} path
 * @param {unknown} payload
 * @returns {Promise<Record<string, unknown> | null>}
 */
async function callService(secrets, cache, path, payload) {
  const base = (secrets.ALPHASWARM_API_URL || '').replace(/\/+$/, '');
  if (!base) return null;
  const token = await m2mToken(secrets, cache);
  if (!token) return null;
  const response = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(payload),
    signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
  });
  if (response.status === 401 || response.status === 403) {
    cache.delete(`alphaswarm-m2m:${secrets.ALPHASWARM_M2M_CLIENT_ID}:${secrets.ALPHASWARM_M2M_AUDIENCE}`);
  }
  if (!response.ok) return null;
  const body = /** @type {unknown} */ (await response.json());
  return body && typeof body === 'object' && !Array.isArray(body)
    ? /** @type {Record<string, unknown>} */ (body)
    : null;
}
// ── end of the M2M token block ───────────────────────────────────────────────────────────────────

/**
 * The user's group names from every place an IdP connection puts them, de-duplicated.
 * @param {PostLoginEvent} event
 * @returns {string[]}
 */
function externalGroupsOf(event) {
  const identity = (event.user.identities || []).find(
    (candidate) => candidate.connection === event.connection?.name,
  );
  const candidates = [
    event.user.groups,
    event.user.app_metadata?.groups,
    event.user['http://schemas.microsoft.com/ws/2008/06/identity/claims/groups'],
    event.user['http://schemas.microsoft.com/ws/2008/06/identity/claims/role'],
    identity?.profileData?.groups,
  ];
  /** @type {Set<string>} */
  const groups = new Set();
  for (const candidate of candidates) {
    for (const group of Array.isArray(candidate) ? candidate : [candidate]) {
      if (typeof group === 'string' && group.trim()) groups.add(group.trim());
    }
  }
  // user_metadata is writable by the user: it is never a source of groups.
  return [...groups].slice(0, MAX_GROUPS);
}

/**
 * The service's connection kind of the login's Auth0 connection, or null for a connection that is not
 * an enterprise IdP (social, database). The strategy decides; the name only tells apart what one
 * strategy covers (SAML and OIDC fronts of Okta, OneLogin, JumpCloud, AWS IAM Identity Center).
 * @param {PostLoginEvent} event
 */
function connectionKindOf(event) {
  const strategy = (event.connection?.strategy || '').toLowerCase();
  const name = (event.connection?.name || '').toLowerCase();
  if (strategy === 'waad') return 'entra';
  if (strategy === 'google-apps') return 'google_workspace';
  if (strategy === 'okta') return 'okta';
  if (strategy !== 'samlp' && strategy !== 'oidc') return null;
  if (/(^|-)(aws-sso|iam-identity-center)(-|$)/.test(name)) return 'aws_iam_identity_center';
  if (/(^|-)okta(-|$)/.test(name)) return 'okta';
  if (/(^|-)onelogin(-|$)/.test(name)) return 'onelogin';
  if (/(^|-)jumpcloud(-|$)/.test(name)) return 'jumpcloud';
  return strategy === 'samlp' ? 'generic_saml' : 'generic_oidc';
}

/**
 * @param {PostLoginEvent} event
 * @param {PostLoginAPI} api
 */
exports.onExecutePostLogin = async (event, api) => {
  const kind = connectionKindOf(event);
  // Group mappings belong to an institutional organization: without one there is nothing to sync.
  if (!kind || !event.organization?.id) return;
  try {
    // An empty list is sent too: it removes what groups the user has left no longer grant.
    const result = await callService(event.secrets, api.cache, '/_internal/idp/sync-groups', {
      user_id: event.user.user_id,
      auth0_organization_id: event.organization.id,
      connection_kind: kind,
      external_groups: externalGroupsOf(event),
    });
    if (!result)
      console.log('alphaswarm_idp_group_sync_skipped: the service did not answer; memberships unchanged');
  } catch (error) {
    // Never a group name in the log: some IdPs treat them as personal data.
    console.log('alphaswarm_idp_group_sync_failed', error instanceof Error ? error.name : 'error');
  }
};
