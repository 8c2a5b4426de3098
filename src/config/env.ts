import { IsIn, IsOptional, IsUrl, Matches, MaxLength } from 'class-validator';

/**
 * Every environment variable the service reads, as the raw strings it was given.
 *
 * This class is the only description of the environment: `loadConfig` validates an instance of it and
 * turns it into the typed `AppConfig`; the variable table of docs/configuration.md is checked against it by a test.
 * A field's initializer is its default; `undefined` means "unset unless the operator sets it".
 * Cross-field rules (production, provider-specific requirements, unimplemented features) live in
 * `app-config.ts`, because they need more than one field to decide.
 */
const BOOLEAN = ['true', 'false', '1', '0'];
const WHOLE_SECONDS = /^\d{1,9}$/;
const URL_OPTIONS = { require_tld: false, require_protocol: true, protocols: ['http', 'https'] };

/** Messages name the variable first so the boot error is one readable line. */
const oneOf = (name: string, values: string[]) => ({
  message: `${name}: must be one of ${values.join(' | ')}`,
});
const seconds = (name: string, example: number) => ({
  message: `${name}: must be a whole number of seconds (0 or more), e.g. ${example}`,
});
const url = (name: string) => ({ message: `${name}: must be an absolute http(s) URL` });

export class Env {
  // ── Process ──────────────────────────────────────────────────────────────────────────────
  /** `development`, `test` or `production`; production refuses the local provider and in-process jobs. */
  @IsIn(['development', 'test', 'production'], oneOf('NODE_ENV', ['development', 'test', 'production']))
  NODE_ENV = 'development';

  /** TCP port of the HTTP server. */
  @Matches(/^\d{1,5}$/, { message: 'PORT: must be a port number, e.g. 3000' })
  PORT = '3000';

  /** Bind address; unset means 127.0.0.1 under the local provider (it mints tokens) and 0.0.0.0 otherwise. */
  @IsOptional()
  @Matches(/^[0-9a-fA-F.:]+$|^localhost$/, { message: 'HOST: must be an IP address such as 0.0.0.0' })
  HOST?: string = undefined;

  /** Postgres connection URL; unset means the embedded database under ALPHASWARM_DATA_DIR. */
  @IsOptional()
  @Matches(/^postgres(ql)?:\/\//, { message: 'DATABASE_URL: must be a postgres:// URL' })
  DATABASE_URL?: string = undefined;

  /** Redis connection URL; unset means jobs run in-process (refused in production). */
  @IsOptional()
  @Matches(/^rediss?:\/\//, { message: 'REDIS_URL: must be a redis:// or rediss:// URL' })
  REDIS_URL?: string = undefined;

  /** Prefix of the job queue's Redis keys: deployments sharing one Redis must each have their own. */
  @Matches(/^[\w.:-]{1,64}$/, {
    message: 'ALPHASWARM_JOBS_QUEUE_PREFIX: must be 1-64 letters, digits, . : _ or -',
  })
  ALPHASWARM_JOBS_QUEUE_PREFIX = 'alphaswarm';

  /** Folder of the embedded database (used only when DATABASE_URL is unset). */
  @MaxLength(4096)
  ALPHASWARM_DATA_DIR = '.data';

  /** Run migrations at boot. */
  @IsIn(BOOLEAN, oneOf('ALPHASWARM_DB_MIGRATE', BOOLEAN))
  ALPHASWARM_DB_MIGRATE = 'true';

  /** Log level of the JSON logs. */
  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
    message: 'ALPHASWARM_LOG_LEVEL: must be one of fatal | error | warn | info | debug | trace | silent',
  })
  ALPHASWARM_LOG_LEVEL = 'info';

  // ── Identity provider ────────────────────────────────────────────────────────────────────
  /** `local` (the service is its own dev issuer), `auth0` or `oidc`. */
  @IsIn(['local', 'auth0', 'oidc'], oneOf('ALPHASWARM_AUTH_PROVIDER', ['local', 'auth0', 'oidc']))
  ALPHASWARM_AUTH_PROVIDER = 'local';

  /** Legacy switch; authentication cannot be turned off (`false` is refused: use ALPHASWARM_AUTH_ENFORCE=permissive). */
  @IsIn(BOOLEAN, oneOf('ALPHASWARM_AUTH_REQUIRED', BOOLEAN))
  ALPHASWARM_AUTH_REQUIRED = 'true';

  /** `strict` (no token → 401) or `permissive` (rollout: anonymous served and counted as would-be denies). */
  @IsIn(['strict', 'permissive'], oneOf('ALPHASWARM_AUTH_ENFORCE', ['strict', 'permissive']))
  ALPHASWARM_AUTH_ENFORCE = 'strict';

  /** Token issuer. Required for auth0/oidc; under local it defaults to http://127.0.0.1:<PORT>/. */
  @IsOptional()
  @IsUrl(URL_OPTIONS, url('ALPHASWARM_AUTH_OIDC_ISSUER'))
  ALPHASWARM_AUTH_OIDC_ISSUER?: string = undefined;

  /** Audience (API identifier) every access token must carry. Required for auth0/oidc. */
  @IsOptional()
  @MaxLength(2048)
  ALPHASWARM_AUTH_OIDC_AUDIENCE?: string = undefined;

  /** SPA client id: a token whose only audience is this id is an ID token and is refused. */
  @IsOptional()
  @MaxLength(256)
  ALPHASWARM_AUTH_OIDC_CLIENT_ID?: string = undefined;

  /** Must stay empty: the SPA is a public client and a resource server needs no client secret. */
  @IsOptional()
  ALPHASWARM_AUTH_OIDC_CLIENT_SECRET?: string = undefined;

  /** Accepted signing algorithms (CSV of RS/PS/ES 256/384/512 and EdDSA). `none` and HS* are refused. */
  @MaxLength(256)
  ALPHASWARM_AUTH_OIDC_ALGORITHMS = 'RS256';

  /** JWKS location; unset means <issuer>/.well-known/jwks.json. */
  @IsOptional()
  @IsUrl(URL_OPTIONS, url('ALPHASWARM_AUTH_JWKS_URI'))
  ALPHASWARM_AUTH_JWKS_URI?: string = undefined;

  /** Clock skew tolerated on exp/nbf/iat. */
  @Matches(WHOLE_SECONDS, seconds('ALPHASWARM_AUTH_CLOCK_SKEW_SECONDS', 30))
  ALPHASWARM_AUTH_CLOCK_SKEW_SECONDS = '30';

  /** Namespace of the custom claims (org_id, workspace_id, roles, …). */
  @IsUrl(URL_OPTIONS, url('ALPHASWARM_AUTH_CLAIMS_NAMESPACE'))
  ALPHASWARM_AUTH_CLAIMS_NAMESPACE = 'https://alphaswarm.internal/';

  /** Further claim namespaces read after the primary one (CSV). */
  @IsOptional()
  @MaxLength(2048)
  ALPHASWARM_AUTH_CLAIMS_NAMESPACE_ALIASES?: string = undefined;

  /** Allows the local provider with NODE_ENV=production (for throwaway demo stacks only). */
  @IsIn(BOOLEAN, oneOf('ALPHASWARM_AUTH_ALLOW_LOCAL_IN_PRODUCTION', BOOLEAN))
  ALPHASWARM_AUTH_ALLOW_LOCAL_IN_PRODUCTION = 'false';

  // ── Local provider ───────────────────────────────────────────────────────────────────────
  /** Lifetime of tokens from the dev login and `npm run token`. */
  @Matches(WHOLE_SECONDS, seconds('ALPHASWARM_AUTH_LOCAL_TOKEN_TTL_SECONDS', 3600))
  ALPHASWARM_AUTH_LOCAL_TOKEN_TTL_SECONDS = '3600';

  /** client_credentials clients of the local issuer, JSON: [{"client_id","client_secret","permissions":[…]}]. */
  @MaxLength(65536)
  ALPHASWARM_AUTH_LOCAL_CLIENTS = '[]';

  // ── Auth0 Management API (not implemented yet: refused when set) ─────────────────────────
  @IsOptional() ALPHASWARM_AUTH0_MGMT_API_AUDIENCE?: string = undefined;
  @IsOptional() ALPHASWARM_AUTH0_MGMT_API_CLIENT_ID?: string = undefined;
  @IsOptional() ALPHASWARM_AUTH0_MGMT_API_CLIENT_SECRET?: string = undefined;

  // ── M2M ──────────────────────────────────────────────────────────────────────────────────
  /** Accept client-credentials (M2M) tokens. */
  @IsIn(BOOLEAN, oneOf('ALPHASWARM_AUTH_M2M_ENABLED', BOOLEAN))
  ALPHASWARM_AUTH_M2M_ENABLED = 'true';

  /** Audience M2M tokens may carry instead of the API audience; unset means the API audience. */
  @IsOptional()
  @MaxLength(2048)
  ALPHASWARM_AUTH_M2M_AUDIENCE?: string = undefined;

  /** Client ids (CSV) whose M2M tokens, addressed to the M2M audience, may call `/_internal/*`. Unset: none may. */
  @IsOptional()
  @MaxLength(8192)
  ALPHASWARM_AUTH_INTERNAL_CLIENT_IDS?: string = undefined;

  /** Lifetime of client_credentials tokens minted by the local issuer. */
  @Matches(WHOLE_SECONDS, seconds('ALPHASWARM_AUTH_M2M_TOKEN_TTL_SECONDS', 900))
  ALPHASWARM_AUTH_M2M_TOKEN_TTL_SECONDS = '900';

  // ── DPoP (RFC 9449, docs/dpop.md) ────────────────────────────────────────────────────────
  /** Accept DPoP-bound tokens (`Authorization: DPoP` + a `DPoP` proof) beside plain bearer tokens. */
  @IsIn(BOOLEAN, oneOf('ALPHASWARM_AUTH0_DPOP_ENABLED', BOOLEAN))
  ALPHASWARM_AUTH0_DPOP_ENABLED = 'false';
  /** Every request must prove possession: a plain bearer token gets 401 dpop_required. Needs DPOP_ENABLED. */
  @IsIn(BOOLEAN, oneOf('ALPHASWARM_AUTH0_DPOP_REQUIRED', BOOLEAN))
  ALPHASWARM_AUTH0_DPOP_REQUIRED = 'false';
  /** `@RequireDpop()` and `@StepUp` routes demand DPoP before the whole API does. Needs DPOP_ENABLED. */
  @IsIn(BOOLEAN, oneOf('ALPHASWARM_DPOP_ENFORCEMENT_ENABLED', BOOLEAN))
  ALPHASWARM_DPOP_ENFORCEMENT_ENABLED = 'false';

  /** Algorithms a proof may be signed with (CSV of RS/PS/ES 256/384/512 and EdDSA). `none` and HS* are refused. */
  @MaxLength(256)
  ALPHASWARM_DPOP_ALGORITHMS = 'ES256,PS256,RS256,EdDSA';

  /** How old a proof's `iat` may be; its replay entry lives this long plus twice the skew. */
  @Matches(WHOLE_SECONDS, seconds('ALPHASWARM_DPOP_PROOF_MAX_AGE_SECONDS', 60))
  ALPHASWARM_DPOP_PROOF_MAX_AGE_SECONDS = '60';

  /** Clock skew tolerated on a proof's `iat`, both ways. */
  @Matches(WHOLE_SECONDS, seconds('ALPHASWARM_DPOP_CLOCK_SKEW_SECONDS', 5))
  ALPHASWARM_DPOP_CLOCK_SKEW_SECONDS = '5';

  /** Longest `jti` a proof may carry (characters). */
  @Matches(/^\d{1,4}$/, {
    message: 'ALPHASWARM_DPOP_JTI_MAX_LENGTH: must be a number of characters from 16 to 1024, e.g. 128',
  })
  ALPHASWARM_DPOP_JTI_MAX_LENGTH = '128';

  /**
   * The origin (and optional path prefix) clients call, e.g. https://api.example.com: a proof's `htu` is
   * compared with it, never with the request's Host. Required with DPoP under auth0/oidc; under local,
   * the issuer's URL.
   */
  @IsOptional()
  @IsUrl(URL_OPTIONS, url('ALPHASWARM_PUBLIC_URL'))
  ALPHASWARM_PUBLIC_URL?: string = undefined;

  /** Server nonces (RFC 9449 §8): proofs must carry a recent `DPoP-Nonce`. Needs DPOP_ENABLED. */
  @IsIn(BOOLEAN, oneOf('ALPHASWARM_DPOP_NONCE_ENABLED', BOOLEAN))
  ALPHASWARM_DPOP_NONCE_ENABLED = 'false';

  /** HMAC key of the nonces, the same on every instance (32+ characters). Required in production with nonces; unset in development, a random key per process. */
  @IsOptional()
  @Matches(/^.{32,512}$/, {
    message:
      'ALPHASWARM_DPOP_NONCE_SECRET: must be 32 to 512 characters, e.g. the output of openssl rand -hex 32',
  })
  ALPHASWARM_DPOP_NONCE_SECRET?: string = undefined;

  /** A nonce is accepted in the window it was issued in and the next one. */
  @Matches(WHOLE_SECONDS, seconds('ALPHASWARM_DPOP_NONCE_WINDOW_SECONDS', 300))
  ALPHASWARM_DPOP_NONCE_WINDOW_SECONDS = '300';

  // ── Step-up (RFC 9470) ───────────────────────────────────────────────────────────────────
  /** `@StepUp` routes demand a fresh MFA authentication. */
  @IsIn(BOOLEAN, oneOf('ALPHASWARM_AUTH_STEP_UP_ENABLED', BOOLEAN))
  ALPHASWARM_AUTH_STEP_UP_ENABLED = 'true';

  /** Default max age of the MFA authentication on `@StepUp` routes. */
  @Matches(WHOLE_SECONDS, seconds('ALPHASWARM_AUTH_STEP_UP_DEFAULT_MAX_AGE', 180))
  ALPHASWARM_AUTH_STEP_UP_DEFAULT_MAX_AGE = '180';

  // ── Auth0 log stream and OIDC back-channel logout (docs/revocation.md) ──────────────────
  /** Bearer secret of the Auth0 log-stream webhook (32-512 characters, e.g. openssl rand -hex 32). Required in production; unset elsewhere, the webhook refuses every call. */
  @IsOptional()
  @Matches(/^[\x21-\x7e]{32,512}$/, {
    message:
      'ALPHASWARM_AUTH0_LOG_STREAM_SECRET: must be 32 to 512 printable characters without spaces, e.g. the output of openssl rand -hex 32',
  })
  ALPHASWARM_AUTH0_LOG_STREAM_SECRET?: string = undefined;
  /** Log-stream events older than this are dropped (and counted). */
  @Matches(WHOLE_SECONDS, seconds('ALPHASWARM_AUTH0_LOG_STREAM_MAX_AGE_SECONDS', 86400))
  ALPHASWARM_AUTH0_LOG_STREAM_MAX_AGE_SECONDS = '86400';
  /** Client id(s) (CSV) a back-channel logout token must be addressed to (`aud`); unset means ALPHASWARM_AUTH_OIDC_CLIENT_ID. With neither, every logout token is refused. */
  @IsOptional()
  @MaxLength(8192)
  ALPHASWARM_AUTH_BACKCHANNEL_CLIENT_IDS?: string = undefined;

  // ── Delegated agent tokens (RFC 8693; docs/agents-and-mcp.md) ─────────────────────────────
  /** `POST /auth/agent-token` and, under local, the token-exchange grant of `POST /oauth/token`. */
  @IsIn(BOOLEAN, oneOf('ALPHASWARM_AUTH_AGENT_TOKEN_EXCHANGE_ENABLED', BOOLEAN))
  ALPHASWARM_AUTH_AGENT_TOKEN_EXCHANGE_ENABLED = 'false';
  /** Client id of the `alphaswarm-agent-broker` client (auth0/oidc only). */
  @IsOptional() @MaxLength(256) ALPHASWARM_AUTH_AGENT_BROKER_CLIENT_ID?: string = undefined;
  /** Its client secret (auth0/oidc only). */
  @IsOptional() @MaxLength(1024) ALPHASWARM_AUTH_AGENT_BROKER_CLIENT_SECRET?: string = undefined;
  /** The IdP's token endpoint the broker calls; unset means <issuer>oauth/token (Auth0's). */
  @IsOptional()
  @IsUrl(URL_OPTIONS, url('ALPHASWARM_AUTH_AGENT_BROKER_TOKEN_ENDPOINT'))
  ALPHASWARM_AUTH_AGENT_BROKER_TOKEN_ENDPOINT?: string = undefined;
  @Matches(WHOLE_SECONDS, seconds('ALPHASWARM_AUTH_AGENT_DELEGATION_TTL_SECONDS', 300))
  ALPHASWARM_AUTH_AGENT_DELEGATION_TTL_SECONDS = '300';

  // ── Legacy Entra MSAL B2B (not implemented: `true` is refused) ───────────────────────────
  @IsIn(BOOLEAN, oneOf('ALPHASWARM_AUTH_MSAL_B2B_ENABLED', BOOLEAN))
  ALPHASWARM_AUTH_MSAL_B2B_ENABLED = 'false';

  // ── Tenancy ──────────────────────────────────────────────────────────────────────────────
  /** Which organizations new users land in: `personal` (B2C), `institutional` (B2B) or `hybrid`. */
  @IsIn(
    ['personal', 'institutional', 'hybrid'],
    oneOf('ALPHASWARM_TENANCY_DEFAULT_STRATEGY', ['personal', 'institutional', 'hybrid']),
  )
  ALPHASWARM_TENANCY_DEFAULT_STRATEGY = 'hybrid';

  /** Postgres row-level security: `strict` confines every transaction to the caller's organization; `off` keeps the policies permissive. */
  @IsIn(['off', 'strict'], oneOf('ALPHASWARM_TENANCY_RLS_ENFORCE', ['off', 'strict']))
  ALPHASWARM_TENANCY_RLS_ENFORCE = 'off';

  /** HMAC key of invite tokens (32+ characters, shared by every instance). Required in production; unset in development, a random key per process. */
  @IsOptional()
  @Matches(/^.{32,512}$/, {
    message:
      'ALPHASWARM_TENANCY_INVITE_SECRET: must be 32 to 512 characters, e.g. the output of openssl rand -hex 32',
  })
  ALPHASWARM_TENANCY_INVITE_SECRET?: string;

  /** How long an invite can be accepted. */
  @Matches(WHOLE_SECONDS, seconds('ALPHASWARM_TENANCY_INVITE_TTL_SECONDS', 604800))
  ALPHASWARM_TENANCY_INVITE_TTL_SECONDS = '604800';

  // ── MCP ──────────────────────────────────────────────────────────────────────────────────
  /** Canonical resource URI of the Data MCP server (RFC 8707 audience). */
  @IsOptional()
  @IsUrl(URL_OPTIONS, url('ALPHASWARM_MCP_DATA_CANONICAL_URI'))
  ALPHASWARM_MCP_DATA_CANONICAL_URI?: string = undefined;

  /** Canonical resource URI of the Codebase MCP server. */
  @IsOptional()
  @IsUrl(URL_OPTIONS, url('ALPHASWARM_MCP_CODEBASE_CANONICAL_URI'))
  ALPHASWARM_MCP_CODEBASE_CANONICAL_URI?: string = undefined;

  /** `strict`: a token's `aud` must hold the server's canonical URI; `off`: the API audience also passes. */
  @IsIn(['off', 'strict'], oneOf('ALPHASWARM_MCP_REQUIRE_RFC8707', ['off', 'strict']))
  ALPHASWARM_MCP_REQUIRE_RFC8707 = 'off';

  /** Browser origins (CSV) the MCP servers accept besides the canonical URIs' own; others get 403. */
  @IsOptional()
  @MaxLength(8192)
  ALPHASWARM_MCP_ALLOWED_ORIGINS?: string = undefined;

  /** Host names (CSV, with port if not default) the MCP servers answer besides the canonical URIs' and loopback. */
  @IsOptional()
  @MaxLength(8192)
  ALPHASWARM_MCP_ALLOWED_HOSTS?: string = undefined;

  /** Directory the codebase tools read; unset means the codebase tools answer that nothing is configured. */
  @IsOptional()
  @MaxLength(4096)
  ALPHASWARM_MCP_CODEBASE_ROOT?: string = undefined;

  /** Largest file codebase.read_file returns, in bytes. */
  @Matches(/^\d{1,9}$/, {
    message: 'ALPHASWARM_MCP_CODEBASE_MAX_FILE_BYTES: must be a whole number of bytes, e.g. 262144',
  })
  ALPHASWARM_MCP_CODEBASE_MAX_FILE_BYTES = '262144';

  /** An upstream HTTP API a data tool calls with a token of its own (token exchange, never passthrough). */
  @IsOptional()
  @IsUrl(URL_OPTIONS, url('ALPHASWARM_MCP_UPSTREAM_URL'))
  ALPHASWARM_MCP_UPSTREAM_URL?: string = undefined;

  /** The audience of the upstream's tokens; required with ALPHASWARM_MCP_UPSTREAM_URL. */
  @IsOptional()
  @MaxLength(2048)
  ALPHASWARM_MCP_UPSTREAM_AUDIENCE?: string = undefined;

  // ── Per-user OAuth connections (docs/credentials.md) ─────────────────────────────────────
  /** `/me/oauth-connections`: people connect their own accounts at OAuth providers. */
  @IsIn(BOOLEAN, oneOf('ALPHASWARM_USER_OAUTH_ENABLED', BOOLEAN))
  ALPHASWARM_USER_OAUTH_ENABLED = 'false';

  // ── Audit ledger ─────────────────────────────────────────────────────────────────────────
  /** Write the security audit ledger (decisions, step-ups, recorded changes). `false` stops all writing. */
  @IsIn(BOOLEAN, oneOf('ALPHASWARM_AUTH_AUDIT_ENABLED', BOOLEAN))
  ALPHASWARM_AUTH_AUDIT_ENABLED = 'true';
  /** Ledger rows older than this are purged by the hourly retention job (the chain keeps verifying). */
  @Matches(/^[1-9]\d{0,5}$/, {
    message: 'ALPHASWARM_AUTH_AUDIT_RETENTION_DAYS: must be a whole number of days (1 or more), e.g. 365',
  })
  ALPHASWARM_AUTH_AUDIT_RETENTION_DAYS = '365';

  // ── CLI (published at /auth/config so the CLI needs no copy-paste) ───────────────────────
  @IsOptional() @MaxLength(256) ALPHASWARM_CLI_OIDC_DOMAIN?: string = undefined;
  @IsOptional() @MaxLength(256) ALPHASWARM_CLI_OIDC_CLIENT_ID?: string = undefined;
  @IsOptional() @MaxLength(2048) ALPHASWARM_CLI_OIDC_AUDIENCE?: string = undefined;
  @IsOptional() @MaxLength(256) ALPHASWARM_CLI_OIDC_ORGANIZATION?: string = undefined;
  /** Read by the CLI on an operator's machine; the service only validates it and publishes it. */
  @IsIn(['0', '1'], oneOf('ALPHASWARM_CLI_AUTH_ALLOW_PLAINTEXT_FALLBACK', ['0', '1']))
  ALPHASWARM_CLI_AUTH_ALLOW_PLAINTEXT_FALLBACK = '0';

  // ── Credentials: BYOK broker credentials, per-user OAuth connections (docs/credentials.md) ─────
  /** Key-encryption keys, `<id>:<base64 of 32 bytes>` CSV, the active key first. Required in production unless ALPHASWARM_CREDENTIALS_KEK_FILE. */
  @IsOptional()
  @MaxLength(8192)
  ALPHASWARM_CREDENTIALS_KEKS?: string = undefined;

  /** A file holding the key-encryption keys in the format of ALPHASWARM_CREDENTIALS_KEKS (one per line or CSV). */
  @IsOptional()
  @MaxLength(4096)
  ALPHASWARM_CREDENTIALS_KEK_FILE?: string = undefined;

  /** Client ids (CSV) whose M2M tokens, for the M2M audience, may call `POST /_internal/credentials/resolve`. Empty: none may. */
  @MaxLength(8192)
  ALPHASWARM_CREDENTIALS_RESOLVE_CLIENT_IDS = '';

  /** Resolves each client may make per minute, counted in Redis across instances. */
  @Matches(/^[1-9]\d{0,6}$/, {
    message:
      'ALPHASWARM_CREDENTIALS_RESOLVE_RATE_LIMIT: must be a whole number of requests per minute (1 or more), e.g. 600',
  })
  ALPHASWARM_CREDENTIALS_RESOLVE_RATE_LIMIT = '600';

  /** Unwrapped data keys kept in memory, so a resolve does not touch the key-encryption key; 0 turns the cache off. */
  @Matches(/^\d{1,7}$/, {
    message:
      'ALPHASWARM_CREDENTIALS_DATA_KEY_CACHE_SIZE: must be a whole number of keys (0 or more), e.g. 10000',
  })
  ALPHASWARM_CREDENTIALS_DATA_KEY_CACHE_SIZE = '10000';

  /** The redirect URI registered at every provider: the app page that relays `code` and `state` to the callback route. Required with ALPHASWARM_USER_OAUTH_ENABLED=true. */
  @IsOptional()
  @IsUrl(URL_OPTIONS, url('ALPHASWARM_USER_OAUTH_REDIRECT_URI'))
  ALPHASWARM_USER_OAUTH_REDIRECT_URI?: string = undefined;

  /** How long a started connection (its `state` and PKCE verifier) may be completed. */
  @Matches(/^[1-9]\d{0,4}$/, {
    message:
      'ALPHASWARM_USER_OAUTH_STATE_TTL_SECONDS: must be a whole number of seconds (1 or more), e.g. 600',
  })
  ALPHASWARM_USER_OAUTH_STATE_TTL_SECONDS = '600';

  @IsOptional() @MaxLength(512) ALPHASWARM_USER_OAUTH_GITHUB_CLIENT_ID?: string = undefined;
  @IsOptional() @MaxLength(1024) ALPHASWARM_USER_OAUTH_GITHUB_CLIENT_SECRET?: string = undefined;

  @IsOptional() @MaxLength(512) ALPHASWARM_USER_OAUTH_GOOGLE_CLIENT_ID?: string = undefined;
  @IsOptional() @MaxLength(1024) ALPHASWARM_USER_OAUTH_GOOGLE_CLIENT_SECRET?: string = undefined;

  @IsOptional() @MaxLength(512) ALPHASWARM_USER_OAUTH_MICROSOFT_CLIENT_ID?: string = undefined;
  @IsOptional() @MaxLength(1024) ALPHASWARM_USER_OAUTH_MICROSOFT_CLIENT_SECRET?: string = undefined;

  @IsOptional() @MaxLength(512) ALPHASWARM_USER_OAUTH_SLACK_CLIENT_ID?: string = undefined;
  @IsOptional() @MaxLength(1024) ALPHASWARM_USER_OAUTH_SLACK_CLIENT_SECRET?: string = undefined;

  @IsOptional() @MaxLength(512) ALPHASWARM_USER_OAUTH_NOTION_CLIENT_ID?: string = undefined;
  @IsOptional() @MaxLength(1024) ALPHASWARM_USER_OAUTH_NOTION_CLIENT_SECRET?: string = undefined;

  /** A further provider found by discovery (OIDC or RFC 8414 metadata), offered as `generic`. */
  @IsOptional()
  @IsUrl(URL_OPTIONS, url('ALPHASWARM_USER_OAUTH_GENERIC_ISSUER'))
  ALPHASWARM_USER_OAUTH_GENERIC_ISSUER?: string = undefined;
  @IsOptional() @MaxLength(512) ALPHASWARM_USER_OAUTH_GENERIC_CLIENT_ID?: string = undefined;
  @IsOptional() @MaxLength(1024) ALPHASWARM_USER_OAUTH_GENERIC_CLIENT_SECRET?: string = undefined;
  /** Scopes asked of the generic provider (space-separated). */
  @MaxLength(1024)
  ALPHASWARM_USER_OAUTH_GENERIC_SCOPES = 'openid offline_access';

  // ── Edge check for the tenant router (docs/edge.md) ─────────────────────────────────────
  /** `required`, `permissive` or `disabled`; unset: the edge check is not mounted (its other variables are then refused). */
  @IsOptional()
  @IsIn(
    ['required', 'permissive', 'disabled'],
    oneOf('ALPHASWARM_TENANT_ROUTER_AUTH_MODE', ['required', 'permissive', 'disabled']),
  )
  ALPHASWARM_TENANT_ROUTER_AUTH_MODE?: string = undefined;

  /** Must be `true` for AUTH_MODE=disabled (local development only; refused with NODE_ENV=production). */
  @IsIn(BOOLEAN, oneOf('ALPHASWARM_TENANT_ROUTER_ALLOW_INSECURE', BOOLEAN))
  ALPHASWARM_TENANT_ROUTER_ALLOW_INSECURE = 'false';

  /** Issuer of the tokens the edge verifies. Required in required/permissive. */
  @IsOptional()
  @IsUrl(URL_OPTIONS, url('ALPHASWARM_TENANT_ROUTER_OIDC_ISSUER'))
  ALPHASWARM_TENANT_ROUTER_OIDC_ISSUER?: string = undefined;

  /** Audience every token the edge admits must carry. Required in required/permissive. */
  @IsOptional()
  @MaxLength(2048)
  ALPHASWARM_TENANT_ROUTER_OIDC_AUDIENCE?: string = undefined;

  /** JWKS of the edge's issuer; unset means <issuer>/.well-known/jwks.json. */
  @IsOptional()
  @IsUrl(URL_OPTIONS, url('ALPHASWARM_TENANT_ROUTER_JWKS_URI'))
  ALPHASWARM_TENANT_ROUTER_JWKS_URI?: string = undefined;

  /** Accepted signing algorithms of the edge's issuer (CSV); `none` and HS* are refused. */
  @MaxLength(256)
  ALPHASWARM_TENANT_ROUTER_OIDC_ALGORITHMS = 'RS256';

  /** Path prefix of Envoy's HTTP service mode (`http_service.path_prefix`), under /ext_authz/. */
  @Matches(/^\/[A-Za-z0-9._~/-]{0,126}[A-Za-z0-9._~-]$/, {
    message:
      'ALPHASWARM_TENANT_ROUTER_HTTP_PATH_PREFIX: must be a path such as /ext_authz/http (no trailing slash)',
  })
  ALPHASWARM_TENANT_ROUTER_HTTP_PATH_PREFIX = '/ext_authz/http';

  /** Port of the gRPC `envoy.service.auth.v3.Authorization` server; `0` turns it off. */
  @Matches(/^\d{1,5}$/, {
    message: 'ALPHASWARM_TENANT_ROUTER_GRPC_PORT: must be a port number, e.g. 9191 (0: off)',
  })
  ALPHASWARM_TENANT_ROUTER_GRPC_PORT = '9191';

  /** The control plane's cells list (`$CP/manage/cells`); unset: a single-cell edge (pin CBA_DESTINATION_CELL_ID). */
  @IsOptional()
  @IsUrl(URL_OPTIONS, url('ALPHASWARM_TENANT_ROUTER_CELLS_URL'))
  ALPHASWARM_TENANT_ROUTER_CELLS_URL?: string = undefined;

  /** How often the cells registry is polled. */
  @Matches(/^[1-9]\d{0,5}$/, {
    message:
      'ALPHASWARM_TENANT_ROUTER_CELLS_POLL_SECONDS: must be a whole number of seconds (1 or more), e.g. 15',
  })
  ALPHASWARM_TENANT_ROUTER_CELLS_POLL_SECONDS = '15';

  /** After this long without a successful poll, /readyz reports `registry_stale: true` (routing continues). */
  @Matches(WHOLE_SECONDS, seconds('ALPHASWARM_TENANT_ROUTER_REGISTRY_STALENESS_WARN_SECONDS', 120))
  ALPHASWARM_TENANT_ROUTER_REGISTRY_STALENESS_WARN_SECONDS = '120';

  /** Tier of tokens without a `tier` claim (and of anonymous requests in permissive mode). */
  @Matches(/^[a-z0-9][a-z0-9_-]{0,63}$/, {
    message: 'ALPHASWARM_TENANT_ROUTER_DEFAULT_TIER: must be a tier name such as shared-std',
  })
  ALPHASWARM_TENANT_ROUTER_DEFAULT_TIER = 'shared-std';

  /** `enforce` (a bad Cell-Bound-Authorization is denied) or `monitor` (logged and counted only). */
  @IsIn(['enforce', 'monitor'], oneOf('ALPHASWARM_TENANT_ROUTER_CBA_MODE', ['enforce', 'monitor']))
  ALPHASWARM_TENANT_ROUTER_CBA_MODE = 'enforce';

  /** This edge's own cell id: CBA tokens must name it; a single-cell edge routes every request to it. */
  @IsOptional()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, {
    message:
      'ALPHASWARM_TENANT_ROUTER_CBA_DESTINATION_CELL_ID: must be a cell id such as cell-shared-std-us-east-1a',
  })
  ALPHASWARM_TENANT_ROUTER_CBA_DESTINATION_CELL_ID?: string = undefined;

  // ── Auth0 pre-user-registration check ────────────────────────────────────────────────────
  /** Email domains refused at sign-up (CSV, subdomains included); `default` is the built-in list, `none` turns it off. */
  @MaxLength(65536)
  ALPHASWARM_AUTH_DISPOSABLE_EMAIL_DOMAINS = 'default';
}

/** The names of every variable, in declaration order. */
export function envNames(): (keyof Env)[] {
  return Object.keys(new Env()) as (keyof Env)[];
}
