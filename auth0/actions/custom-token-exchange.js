// @ts-check
/**
 * alphaswarm-agent-delegation — Custom Token Exchange profile (RFC 8693).
 *
 * The service's agent broker (client ALPHASWARM_AGENT_BROKER_CLIENT_ID) exchanges a user's access token
 * for a narrower token an agent uses on the user's behalf: `sub` stays the user, `act` names the agent,
 * and the scopes are those requested ∩ the MCP scopes ∩ what the user's own token holds (SPEC §6).
 *
 * Fixed against the seed: the subject token is verified here (signature against the issuer's JWKS,
 * issuer, audience, expiry; Auth0 hands the Action the raw token); the agent cannot gain a scope the
 * user lacks; only the broker client may use the profile; `act.iss` is the issuer users' tokens carry
 * (the custom domain), and the org claim is namespaced (Auth0 reserves the bare `org_id`).
 *
 * A delegated token may be exchanged again for its own agent only (an MCP tool obtaining a token for an
 * upstream service presents the token it was called with): its `act.sub` must be the agent asked for,
 * and its audience may be one of the MCP servers (ALPHASWARM_MCP_RESOURCES) as well as the API. The
 * service's local issuer applies the same rules (docs/agents-and-mcp.md).
 *
 * Dependencies: jose. Secrets: ALPHASWARM_ISSUER (e.g. https://auth.alpha-swarm.ai/),
 * ALPHASWARM_API_AUDIENCE, ALPHASWARM_AGENT_BROKER_CLIENT_ID, and optionally ALPHASWARM_MCP_RESOURCES (CSV
 * of the MCP servers' canonical URIs) and ALPHASWARM_CLAIMS_NAMESPACE. The agent is named by the `agent`
 * parameter of the token request (`agent|<name>`: a letter or digit, then up to 127 of letters, digits,
 * `_ . : -`, as the service's own rule).
 */

/** @typedef {import('./actions').CustomTokenExchangeEvent} CustomTokenExchangeEvent */
/** @typedef {import('./actions').CustomTokenExchangeAPI} CustomTokenExchangeAPI */

const { createRemoteJWKSet, jwtVerify } = require('jose');

const DEFAULT_NAMESPACE = 'https://alphaswarm.internal/';
const AGENT_SCOPES = ['read:mcp:data', 'write:mcp:data', 'read:mcp:codebase', 'write:mcp:codebase'];
const AGENT = /^agent\|[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

/** @type {Map<string, ReturnType<typeof createRemoteJWKSet>>} one key set per issuer, kept across runs */
const keySets = new Map();

/** @param {string} issuer */
function keySetOf(issuer) {
  let keySet = keySets.get(issuer);
  if (!keySet) {
    keySet = createRemoteJWKSet(new URL(`${issuer.replace(/\/?$/, '/')}.well-known/jwks.json`));
    keySets.set(issuer, keySet);
  }
  return keySet;
}

/** @param {Record<string, unknown>} payload */
function permissionsOf(payload) {
  /** @type {Set<string>} */
  const held = new Set();
  if (Array.isArray(payload.permissions)) {
    for (const permission of payload.permissions) if (typeof permission === 'string') held.add(permission);
  }
  if (typeof payload.scope === 'string')
    for (const scope of payload.scope.split(' ')) if (scope) held.add(scope);
  return held;
}

/** The `sub` of a token's `act` claim, when it is an object that has one. @param {unknown} act */
function actorOf(act) {
  if (typeof act !== 'object' || act === null || Array.isArray(act)) return undefined;
  const sub = /** @type {Record<string, unknown>} */ (act).sub;
  return typeof sub === 'string' ? sub : undefined;
}

/**
 * @param {CustomTokenExchangeEvent} event
 * @param {CustomTokenExchangeAPI} api
 */
exports.onExecuteCustomTokenExchange = async (event, api) => {
  const { ALPHASWARM_ISSUER: issuer, ALPHASWARM_API_AUDIENCE: audience } = event.secrets;
  if (!issuer || !audience || !event.secrets.ALPHASWARM_AGENT_BROKER_CLIENT_ID) {
    api.access.deny('server_error', 'The delegation profile is not configured');
    return;
  }
  // Only the broker may mint delegated tokens: another client could otherwise pose as any agent.
  if (event.client.client_id !== event.secrets.ALPHASWARM_AGENT_BROKER_CLIENT_ID) {
    api.access.deny('unauthorized_client', 'Only the agent broker may use this profile');
    return;
  }
  if (event.transaction.subject_token_type !== ACCESS_TOKEN_TYPE) {
    api.access.rejectInvalidSubjectToken('The subject token must be an access token');
    return;
  }
  const agent = event.request.body?.agent;
  if (typeof agent !== 'string' || !AGENT.test(agent)) {
    api.access.deny('invalid_request', 'agent must name an agent (agent|<name>)');
    return;
  }
  // The API, and the MCP servers a delegated token is addressed to.
  const audiences = [
    audience,
    ...(event.secrets.ALPHASWARM_MCP_RESOURCES ?? '')
      .split(',')
      .map((resource) => resource.trim())
      .filter(Boolean),
  ];

  /** @type {Record<string, unknown>} */
  let subject;
  try {
    const verified = await jwtVerify(event.transaction.subject_token, keySetOf(issuer), {
      issuer,
      audience: audiences,
      algorithms: ['RS256', 'PS256', 'ES256'],
      requiredClaims: ['sub', 'exp'],
    });
    subject = verified.payload;
  } catch {
    api.access.rejectInvalidSubjectToken('The subject token is not a valid access token of this API');
    return;
  }
  const humanSub = subject.sub;
  // A machine token has no human to act for.
  if (typeof humanSub !== 'string' || humanSub.endsWith('@clients')) {
    api.access.rejectInvalidSubjectToken('The subject token must be a user token');
    return;
  }
  // A delegated token is exchanged again only for the agent it already names: never to another agent.
  if (subject.act !== undefined && actorOf(subject.act) !== agent) {
    api.access.rejectInvalidSubjectToken('A delegated token can only be exchanged for its own agent');
    return;
  }

  api.authentication.setUserById(humanSub);
  const held = permissionsOf(subject);
  const requested = event.transaction.requested_scopes ?? [];
  for (const scope of requested) {
    if (AGENT_SCOPES.includes(scope) && held.has(scope)) api.accessToken.addScope(scope);
  }
  api.accessToken.setCustomClaim('act', { sub: agent, iss: issuer });
  const namespace = event.secrets.ALPHASWARM_CLAIMS_NAMESPACE || DEFAULT_NAMESPACE;
  const orgId = subject[`${namespace}org_id`] ?? subject.org_id;
  if (typeof orgId === 'string') api.accessToken.setCustomClaim(`${namespace}org_id`, orgId);
};
