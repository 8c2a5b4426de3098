// @ts-check
/**
 * alphaswarm-pre-user-registration — Pre User Registration trigger.
 *
 * Asks POST /_internal/auth/preregister-check (docs/auth0.md) whether this sign-up may go on: disposable
 * email domains are refused, and a sign-up that must be invited (a client whose metadata says
 * flow=b2b, or every sign-up with the secret ALPHASWARM_REQUIRE_INVITE=true) needs a live invite for
 * this email. The invite token comes from the authorization request (`invite_token`) or from the sign-up
 * form's `user_metadata.invite_token`.
 *
 * Failure: a sign-up that needs an invite is refused when the service cannot be asked (an invite cannot
 * be checked offline); any other sign-up goes on (the block list is abuse control, not access control).
 *
 * Secrets: ALPHASWARM_API_URL, ALPHASWARM_M2M_CLIENT_ID, ALPHASWARM_M2M_CLIENT_SECRET,
 * ALPHASWARM_M2M_AUDIENCE, AUTH0_DOMAIN, and optionally ALPHASWARM_REQUIRE_INVITE.
 */

/** @typedef {import('./actions').PreUserRegistrationEvent} PreUserRegistrationEvent */
/** @typedef {import('./actions').PreUserRegistrationAPI} PreUserRegistrationAPI */
/** @typedef {import('./actions').Secrets} Secrets */
/** @typedef {import('./actions').ActionsCache} ActionsCache */

/** Each call gets this long: an Action has 20 s in all, and a slow service must not eat them. */
const CALL_TIMEOUT_MS = 5000;

/** What the person signing up is told, by reason; the reason itself goes to Auth0's logs. */
const MESSAGES = {
  invalid_email: 'An email address is required to sign up.',
  disposable_email: 'Sign-ups with disposable email addresses are not allowed.',
  invite_required: 'Signing up needs an invitation. Use the link from your invitation email.',
  invite_invalid: 'This invitation is not valid. Ask for a new one.',
  invite_email_mismatch: 'This invitation was sent to another email address.',
  invite_expired: 'This invitation has expired. Ask for a new one.',
  invite_revoked: 'This invitation has been withdrawn.',
  invite_used: 'This invitation has already been used.',
  service_unavailable: 'Sign-up is unavailable right now. Try again in a few minutes.',
};

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

/** @param {unknown} value */
const text = (value) => (typeof value === 'string' && value.trim() ? value.trim() : null);

/**
 * @param {PreUserRegistrationEvent} event
 * @param {PreUserRegistrationAPI} api
 */
exports.onExecutePreUserRegistration = async (event, api) => {
  /** @param {keyof typeof MESSAGES} reason */
  const deny = (reason) => api.access.deny(reason, MESSAGES[reason]);
  const email = text(event.user.email);
  if (!email) return deny('invalid_email');
  const requireInvite =
    event.client?.metadata?.flow === 'b2b' || event.secrets.ALPHASWARM_REQUIRE_INVITE === 'true';
  const inviteToken = text(event.request.query?.invite_token) ?? text(event.user.user_metadata?.invite_token);

  /** @type {Record<string, unknown> | null} */
  let decision = null;
  try {
    decision = await callService(event.secrets, api.cache, '/_internal/auth/preregister-check', {
      email,
      invite_token: inviteToken,
      require_invite: requireInvite,
    });
  } catch (error) {
    console.log('alphaswarm_preregister_check_failed', error instanceof Error ? error.name : 'error');
  }
  if (!decision) {
    if (requireInvite) return deny('service_unavailable');
    return;
  }
  if (decision.allowed === true) return;
  const reason = typeof decision.reason === 'string' && decision.reason in MESSAGES ? decision.reason : null;
  // An answer that is neither an allow nor a known refusal is not an allow.
  return deny(/** @type {keyof typeof MESSAGES} */ (reason ?? 'service_unavailable'));
};
