// @ts-check
/**
 * alphaswarm-post-login — Login trigger, second in the flow (after alphaswarm-idp-group-sync).
 *
 * 1. Step-up: forces an MFA challenge when the caller asked for it with
 *    acr_values=http://schemas.openid.net/pape/policies/2007/06/multi-factor and no MFA of this session is
 *    recent enough, or when Adaptive MFA rates the login high-risk. Decided before anything can fail,
 *    so an outage of the service never skips it.
 * 2. JIT sync: POST /_internal/auth0/sync (docs/auth0.md) creates the user and their organization, and
 *    answers the claims to inject: org_id team_id workspace_id project_id lab_id roles connection
 *    internal_user_id, under the service's claim namespace.
 *
 * Fails open: when the service or the token endpoint is unreachable the login goes on without the
 * claims (the service checks memberships in its database on every request, and the next login syncs).
 *
 * Secrets: ALPHASWARM_API_URL, ALPHASWARM_M2M_CLIENT_ID, ALPHASWARM_M2M_CLIENT_SECRET,
 * ALPHASWARM_M2M_AUDIENCE (= ALPHASWARM_AUTH_M2M_AUDIENCE), AUTH0_DOMAIN (the tenant's own domain,
 * e.g. alphaswarm-prod.us.auth0.com, never the custom domain), and optionally
 * ALPHASWARM_CLAIMS_NAMESPACE (default https://alphaswarm.internal/) and
 * ALPHASWARM_STEP_UP_MAX_AGE_SECONDS (default 180, = ALPHASWARM_AUTH_STEP_UP_DEFAULT_MAX_AGE).
 */

/** @typedef {import('./actions').PostLoginEvent} PostLoginEvent */
/** @typedef {import('./actions').PostLoginAPI} PostLoginAPI */
/** @typedef {import('./actions').Secrets} Secrets */
/** @typedef {import('./actions').ActionsCache} ActionsCache */

const MFA_POLICY = 'http://schemas.openid.net/pape/policies/2007/06/multi-factor';
const DEFAULT_NAMESPACE = 'https://alphaswarm.internal/';
/** The claims the service answers; nothing else it might send becomes a claim. */
const CLAIM_KEYS = [
  'org_id',
  'team_id',
  'workspace_id',
  'project_id',
  'lab_id',
  'roles',
  'connection',
  'internal_user_id',
];
/** Each call gets this long: an Action has 20 s in all, and a slow service must not eat them. */
const CALL_TIMEOUT_MS = 5000;

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
 * Whether this login must pass an MFA challenge: asked for through acr_values without an MFA of this
 * session within the step-up max age (an old MFA does not satisfy a step-up), or rated high-risk.
 * @param {PostLoginEvent} event
 */
function needsMfa(event) {
  const maxAgeSeconds = Number(event.secrets.ALPHASWARM_STEP_UP_MAX_AGE_SECONDS || 180);
  const requested = Array.isArray(event.transaction?.acr_values) ? event.transaction.acr_values : [];
  const methods = Array.isArray(event.authentication?.methods) ? event.authentication.methods : [];
  const recentMfa = methods.some((method) => {
    if (!method || method.name !== 'mfa' || !method.timestamp) return false;
    const age = (Date.now() - Date.parse(method.timestamp)) / 1000;
    return age >= 0 && age <= maxAgeSeconds;
  });
  if (requested.includes(MFA_POLICY) && !recentMfa) return true;
  return event.authentication?.riskAssessment?.confidence === 'high';
}

/** @param {unknown} value */
function isClaimValue(value) {
  if (typeof value === 'string') return value.length > 0;
  return Array.isArray(value) && value.length > 0 && value.every((item) => typeof item === 'string');
}

/**
 * @param {PostLoginEvent} event
 * @param {PostLoginAPI} api
 */
exports.onExecutePostLogin = async (event, api) => {
  if (needsMfa(event)) {
    // Step-up is sized for destructive operations: never let the browser remember it.
    api.multifactor.enable('any', { allowRememberBrowser: false });
  }

  const namespace = event.secrets.ALPHASWARM_CLAIMS_NAMESPACE || DEFAULT_NAMESPACE;
  try {
    const claims = await callService(event.secrets, api.cache, '/_internal/auth0/sync', {
      user_id: event.user.user_id,
      email: event.user.email || null,
      organization_id: event.organization?.id ?? null,
      organization_name: event.organization?.display_name || event.organization?.name || null,
      requested_claims: {
        connection: event.connection?.name ?? null,
        strategy: event.connection?.strategy ?? null,
      },
    });
    if (!claims) {
      console.log(
        'alphaswarm_sync_skipped: the service did not answer; the login goes on without its claims',
      );
      return;
    }
    for (const key of CLAIM_KEYS) {
      const value = claims[key];
      if (!isClaimValue(value)) continue;
      api.accessToken.setCustomClaim(`${namespace}${key}`, value);
      api.idToken.setCustomClaim(`${namespace}${key}`, value);
    }
  } catch (error) {
    // Fail open: a transient outage of the service must not lock everyone out.
    console.log('alphaswarm_sync_failed', error instanceof Error ? error.name : 'error');
  }
};
