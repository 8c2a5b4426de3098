import { createSecretKey, type KeyObject, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import { DISPOSABLE_EMAIL_DOMAINS } from './disposable-email-domains';
import { type EdgeConfig, edgeConfigOf } from './edge-config';
import { Env, envNames } from './env';
import { type KekSet, parseKekSet } from './kek-set';
import { plainUrl, secureUrl } from './urls';

export type Provider = 'local' | 'auth0' | 'oidc';
export type EnforceMode = 'strict' | 'permissive';
export type NodeEnv = 'development' | 'test' | 'production';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** Asymmetric JWS algorithms the service can verify. `none` and HS* are never on this list. */
export const ASYMMETRIC_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
] as const;
export type SigningAlgorithm = (typeof ASYMMETRIC_ALGORITHMS)[number];

export interface LocalClient {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly permissions: readonly string[];
}

export interface AgentTokenExchangeConfig {
  readonly enabled: boolean;
  /**
   * Under auth0/oidc: the `alphaswarm-agent-broker` client and the IdP token endpoint it calls. Its
   * secret is not here: the broker asks identity's BROKER_CLIENT_SECRET port for it on every exchange
   * (the environment in development, the encrypted store in production; docs/credentials.md).
   */
  readonly broker?: {
    readonly clientId: string;
    readonly tokenEndpoint: string;
  };
}

export interface McpConfig {
  /** Configured, or under the local provider `<issuer>mcp/data`; never derived from a request's Host. */
  readonly dataCanonicalUri?: string;
  readonly codebaseCanonicalUri?: string;
  readonly requireRfc8707: 'off' | 'strict';
  /** Origins (`scheme://host[:port]`) accepted on the MCP routes: the canonical URIs' and the configured ones. */
  readonly allowedOrigins: ReadonlySet<string>;
  /** Host header values accepted on the MCP routes: the canonical URIs', the configured ones and loopback. */
  readonly allowedHosts: ReadonlySet<string>;
  readonly codebase: { readonly root?: string; readonly maxFileBytes: number };
  readonly upstream?: { readonly url: string; readonly audience: string };
}

/** The typed configuration every part of the service reads. Built once at boot by `loadConfig`. */
export interface AppConfig {
  readonly nodeEnv: NodeEnv;
  readonly http: {
    readonly port: number;
    readonly host: string;
    /** The external origin (and path prefix) clients call, without a trailing slash (DPoP `htu`). */
    readonly publicUrl?: string;
  };
  readonly database: { readonly url?: string; readonly dataDir: string; readonly migrate: boolean };
  readonly redis: { readonly url?: string };
  readonly jobs: { readonly queuePrefix: string };
  readonly logLevel: LogLevel;
  readonly auth: {
    readonly provider: Provider;
    readonly enforce: EnforceMode;
    /** Exactly as configured; tokens may carry it with or without one trailing slash. */
    readonly issuer: string;
    readonly audience: string;
    readonly m2mEnabled: boolean;
    readonly m2mAudience: string;
    /** Client ids admitted to `/_internal/*` (with an M2M token for `m2mAudience`). */
    readonly internalClientIds: ReadonlySet<string>;
    readonly spaClientId?: string;
    readonly algorithms: readonly SigningAlgorithm[];
    readonly jwksUri: string;
    readonly clockSkewSeconds: number;
    /** Primary namespace first, then the aliases; each ends with `/`. */
    readonly claimNamespaces: readonly string[];
    readonly stepUp: { readonly enabled: boolean; readonly defaultMaxAgeSeconds: number };
    readonly dpop: DpopConfig;
    readonly agentDelegationTtlSeconds: number;
    /** Delegated agent tokens (RFC 8693): docs/agents-and-mcp.md. */
    readonly agentTokenExchange: AgentTokenExchangeConfig;
    readonly local: {
      readonly tokenTtlSeconds: number;
      readonly m2mTokenTtlSeconds: number;
      readonly clients: readonly LocalClient[];
    };
  };
  readonly logStream: {
    readonly maxAgeSeconds: number;
    /** The webhook's bearer secret; unset outside production means the webhook refuses every call. */
    readonly secret?: string;
  };
  /** OIDC Back-Channel Logout: the client ids a logout token may be addressed to (empty: refuse all). */
  readonly backchannelLogout: { readonly clientIds: ReadonlySet<string> };
  readonly tenancy: {
    readonly defaultStrategy: 'personal' | 'institutional' | 'hybrid';
    readonly rlsEnforce: 'off' | 'strict';
    /** The invite HMAC key: configured, or (outside production) random for this process. */
    readonly inviteSecret: KeyObject;
    readonly inviteTtlSeconds: number;
  };
  readonly mcp: McpConfig;
  readonly audit: { readonly enabled: boolean; readonly retentionDays: number };
  readonly credentials: CredentialsConfig;

  /** The pre-user-registration check (`POST /_internal/auth/preregister-check`). */
  readonly preregister: {
    /** Lower-cased domains whose addresses (and their subdomains') may not sign up. */
    readonly blockedEmailDomains: ReadonlySet<string>;
  };
  readonly cli: {
    readonly domain?: string;
    readonly clientId?: string;
    readonly audience?: string;
    readonly organization?: string;
    readonly allowPlaintextFallback: boolean;
  };
  /** The edge check for the tenant router; undefined (not mounted) unless its AUTH_MODE is set. */
  readonly edge?: EdgeConfig;
}

/** RFC 9449 proofs of possession (docs/dpop.md). */
export interface DpopConfig {
  readonly enabled: boolean;
  /** Plain bearer tokens are refused everywhere. */
  readonly required: boolean;
  /** `@RequireDpop()` and `@StepUp` routes refuse plain bearer tokens. */
  readonly routeEnforcement: boolean;
  readonly algorithms: readonly SigningAlgorithm[];
  readonly proofMaxAgeSeconds: number;
  readonly clockSkewSeconds: number;
  readonly jtiMaxLength: number;
  readonly nonce: {
    readonly enabled: boolean;
    /** The nonce HMAC key: configured, or (outside production) random for this process. */
    readonly secret: KeyObject;
    readonly windowSeconds: number;
  };
}

/**
 * Where the credential store's key-encryption keys come from (docs/credentials.md): configured
 * (ALPHASWARM_CREDENTIALS_KEKS or ALPHASWARM_CREDENTIALS_KEK_FILE, required in production), a key file
 * the service creates under the data folder in development, or a fresh key per process in tests.
 */
export type KekSource =
  | { readonly kind: 'configured'; readonly keks: KekSet }
  | { readonly kind: 'development-file'; readonly path: string }
  | { readonly kind: 'ephemeral' };

export interface CredentialsConfig {
  readonly kekSource: KekSource;
  /** Client ids admitted to `POST /_internal/credentials/resolve`. */
  readonly resolveClientIds: ReadonlySet<string>;
  readonly resolveRatePerMinute: number;
  /** Unwrapped data keys kept in memory; 0: every resolve unwraps. */
  readonly dataKeyCacheSize: number;
  /**
   * The service's own secrets as the environment gives them, read by CredentialResolver outside
   * production only (in production they come from the encrypted store).
   */
  readonly serviceSecretsFromEnv: {
    readonly auth0_mgmt_api_client_secret?: string;
    readonly agent_broker_client_secret?: string;
  };
  readonly userOAuth: UserOAuthConfig;
}

/** The default providers of per-user OAuth connections (docs/credentials.md). */
export const USER_OAUTH_PROVIDERS = ['github', 'google', 'microsoft', 'slack', 'notion'] as const;
export type UserOAuthProviderId = (typeof USER_OAUTH_PROVIDERS)[number] | 'generic';

export interface OAuthClientConfig {
  readonly clientId: string;
  readonly clientSecret: string;
}

export interface UserOAuthConfig {
  readonly enabled: boolean;
  readonly redirectUri?: string;
  readonly stateTtlSeconds: number;
  /** The default providers whose client id and secret are configured. */
  readonly clients: Readonly<Partial<Record<(typeof USER_OAUTH_PROVIDERS)[number], OAuthClientConfig>>>;
  readonly generic?: OAuthClientConfig & { readonly issuer: string; readonly scopes: string };
}

/** A configuration problem, as one line: the variable, what is wrong, and the fix. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`${variable}: ${problem}`);
    this.name = 'ConfigError';
  }
}

/** Injection token of the AppConfig. */
export const APP_CONFIG = Symbol('APP_CONFIG');

const LOCAL_DEFAULT_AUDIENCE = 'https://api.alphaswarm.local/';

/**
 * Validates the environment and builds the typed configuration, or throws the first problem as a
 * one-line `ConfigError`. Empty strings count as unset (container platforms write `VAR=` for "none").
 */
export function loadConfig(source: Record<string, string | undefined>): AppConfig {
  refuseUnbuiltFeaturePrefixes(source);
  const raw: Record<string, string> = {};
  for (const name of envNames()) {
    const value = source[name];
    if (value !== undefined && value.trim() !== '') raw[name] = value.trim();
  }
  const env = plainToInstance(Env, raw, { exposeDefaultValues: true });
  const errors = validateSync(env, { forbidUnknownValues: true });
  if (errors.length > 0) throw toConfigError(errors[0]);
  return build(env);
}

function toConfigError(error: ValidationError): ConfigError {
  const message = Object.values(error.constraints ?? {})[0] ?? `${error.property}: invalid value`;
  const separator = message.indexOf(': ');
  return new ConfigError(error.property, message.slice(separator + 2));
}

const bool = (value: string): boolean => value === 'true' || value === '1';
const int = (value: string): number => Number.parseInt(value, 10);
const withSlash = (url: string): string => (url.endsWith('/') ? url : `${url}/`);

function build(env: Env): AppConfig {
  const nodeEnv = env.NODE_ENV as NodeEnv;
  const production = nodeEnv === 'production';
  const provider = env.ALPHASWARM_AUTH_PROVIDER as Provider;
  const port = int(env.PORT);

  if (port > 65535) throw new ConfigError('PORT', 'must be a port number between 0 and 65535');
  refuseUnimplemented(env);

  if (!bool(env.ALPHASWARM_AUTH_REQUIRED)) {
    throw new ConfigError(
      'ALPHASWARM_AUTH_REQUIRED',
      'authentication cannot be turned off; remove it, or set ALPHASWARM_AUTH_ENFORCE=permissive for a rollout',
    );
  }
  if (env.ALPHASWARM_AUTH_OIDC_CLIENT_SECRET !== undefined) {
    throw new ConfigError(
      'ALPHASWARM_AUTH_OIDC_CLIENT_SECRET',
      'must be empty: the SPA is a public client and this resource server never uses a client secret',
    );
  }
  if (provider === 'local' && production && !bool(env.ALPHASWARM_AUTH_ALLOW_LOCAL_IN_PRODUCTION)) {
    throw new ConfigError(
      'ALPHASWARM_AUTH_PROVIDER',
      'local is refused with NODE_ENV=production; use auth0 or oidc (or set ALPHASWARM_AUTH_ALLOW_LOCAL_IN_PRODUCTION=true for a throwaway demo)',
    );
  }
  if (production && env.REDIS_URL === undefined) {
    throw new ConfigError(
      'REDIS_URL',
      'required with NODE_ENV=production: in-process jobs and caches cannot be shared between instances; set it to redis://<host>:6379',
    );
  }
  if (production && env.DATABASE_URL === undefined) {
    throw new ConfigError(
      'DATABASE_URL',
      'required with NODE_ENV=production: the embedded database is for development; set it to postgres://<user>@<host>:5432/<db>',
    );
  }

  if (production && env.ALPHASWARM_TENANCY_INVITE_SECRET === undefined) {
    throw new ConfigError(
      'ALPHASWARM_TENANCY_INVITE_SECRET',
      'required with NODE_ENV=production: every instance must verify the invites the others sign; set it to the output of openssl rand -hex 32',
    );
  }

  const algorithms = parseAlgorithms('ALPHASWARM_AUTH_OIDC_ALGORITHMS', env.ALPHASWARM_AUTH_OIDC_ALGORITHMS);
  const { issuer, audience } = issuerAndAudience(env, provider, port);
  const dpop = dpopConfig(env, production);
  const publicUrl = publicUrlOf(env, provider, issuer, dpop.enabled, production);
  if (production && !secureUrl(issuer)) {
    throw new ConfigError(
      'ALPHASWARM_AUTH_OIDC_ISSUER',
      'must be an https:// URL with NODE_ENV=production (http:// only on a loopback address)',
    );
  }
  const jwksUri = env.ALPHASWARM_AUTH_JWKS_URI ?? `${withSlash(issuer)}.well-known/jwks.json`;
  if (production && !secureUrl(jwksUri)) {
    throw new ConfigError(
      'ALPHASWARM_AUTH_JWKS_URI',
      'must be an https:// URL with NODE_ENV=production (http:// only on a loopback address)',
    );
  }

  const clients = parseLocalClients(env.ALPHASWARM_AUTH_LOCAL_CLIENTS);
  if (provider !== 'local' && clients.length > 0) {
    throw new ConfigError(
      'ALPHASWARM_AUTH_LOCAL_CLIENTS',
      `only the local provider issues client_credentials tokens; unset it under ALPHASWARM_AUTH_PROVIDER=${provider}`,
    );
  }

  const aliases = (env.ALPHASWARM_AUTH_CLAIMS_NAMESPACE_ALIASES ?? '')
    .split(',')
    .map((alias) => alias.trim())
    .filter((alias) => alias !== '');
  for (const alias of aliases) {
    if (!/^https?:\/\/\S+$/.test(alias)) {
      throw new ConfigError(
        'ALPHASWARM_AUTH_CLAIMS_NAMESPACE_ALIASES',
        `"${alias}" is not a URL; give a CSV of namespaces such as https://alphaswarm/`,
      );
    }
  }

  return deepFreeze({
    nodeEnv,
    http: { port, host: env.HOST ?? (provider === 'local' ? '127.0.0.1' : '0.0.0.0'), publicUrl },
    database: {
      url: env.DATABASE_URL,
      dataDir: env.ALPHASWARM_DATA_DIR,
      migrate: bool(env.ALPHASWARM_DB_MIGRATE),
    },
    redis: { url: env.REDIS_URL },
    jobs: { queuePrefix: env.ALPHASWARM_JOBS_QUEUE_PREFIX },
    logLevel: env.ALPHASWARM_LOG_LEVEL as LogLevel,
    auth: {
      provider,
      enforce: env.ALPHASWARM_AUTH_ENFORCE as EnforceMode,
      issuer,
      audience,
      m2mEnabled: bool(env.ALPHASWARM_AUTH_M2M_ENABLED),
      m2mAudience: env.ALPHASWARM_AUTH_M2M_AUDIENCE ?? audience,
      internalClientIds: clientIdList(
        'ALPHASWARM_AUTH_INTERNAL_CLIENT_IDS',
        env.ALPHASWARM_AUTH_INTERNAL_CLIENT_IDS ?? '',
      ),
      spaClientId: env.ALPHASWARM_AUTH_OIDC_CLIENT_ID,
      algorithms,
      jwksUri,
      clockSkewSeconds: int(env.ALPHASWARM_AUTH_CLOCK_SKEW_SECONDS),
      claimNamespaces: [...new Set([env.ALPHASWARM_AUTH_CLAIMS_NAMESPACE, ...aliases].map(withSlash))],
      stepUp: {
        enabled: bool(env.ALPHASWARM_AUTH_STEP_UP_ENABLED),
        defaultMaxAgeSeconds: int(env.ALPHASWARM_AUTH_STEP_UP_DEFAULT_MAX_AGE),
      },
      dpop,
      agentDelegationTtlSeconds: positive(
        'ALPHASWARM_AUTH_AGENT_DELEGATION_TTL_SECONDS',
        env.ALPHASWARM_AUTH_AGENT_DELEGATION_TTL_SECONDS,
      ),
      agentTokenExchange: agentTokenExchangeOf(env, provider, issuer, production),
      local: {
        tokenTtlSeconds: positive(
          'ALPHASWARM_AUTH_LOCAL_TOKEN_TTL_SECONDS',
          env.ALPHASWARM_AUTH_LOCAL_TOKEN_TTL_SECONDS,
        ),
        m2mTokenTtlSeconds: positive(
          'ALPHASWARM_AUTH_M2M_TOKEN_TTL_SECONDS',
          env.ALPHASWARM_AUTH_M2M_TOKEN_TTL_SECONDS,
        ),
        clients,
      },
    },
    logStream: {
      maxAgeSeconds: int(env.ALPHASWARM_AUTH0_LOG_STREAM_MAX_AGE_SECONDS),
      secret: logStreamSecret(env, production),
    },
    backchannelLogout: {
      clientIds: clientIdList(
        'ALPHASWARM_AUTH_BACKCHANNEL_CLIENT_IDS',
        env.ALPHASWARM_AUTH_BACKCHANNEL_CLIENT_IDS ?? env.ALPHASWARM_AUTH_OIDC_CLIENT_ID ?? '',
      ),
    },
    tenancy: {
      defaultStrategy: env.ALPHASWARM_TENANCY_DEFAULT_STRATEGY as AppConfig['tenancy']['defaultStrategy'],
      rlsEnforce: env.ALPHASWARM_TENANCY_RLS_ENFORCE as 'off' | 'strict',
      inviteSecret: createSecretKey(
        env.ALPHASWARM_TENANCY_INVITE_SECRET
          ? Buffer.from(env.ALPHASWARM_TENANCY_INVITE_SECRET, 'utf8')
          : randomBytes(32),
      ),
      inviteTtlSeconds: int(env.ALPHASWARM_TENANCY_INVITE_TTL_SECONDS),
    },
    mcp: mcpOf(env, provider, issuer, production),
    audit: {
      enabled: bool(env.ALPHASWARM_AUTH_AUDIT_ENABLED),
      retentionDays: int(env.ALPHASWARM_AUTH_AUDIT_RETENTION_DAYS),
    },
    credentials: credentialsConfig(env, nodeEnv),

    preregister: {
      blockedEmailDomains: emailDomainList(env.ALPHASWARM_AUTH_DISPOSABLE_EMAIL_DOMAINS),
    },
    cli: {
      domain: env.ALPHASWARM_CLI_OIDC_DOMAIN,
      clientId: env.ALPHASWARM_CLI_OIDC_CLIENT_ID,
      audience: env.ALPHASWARM_CLI_OIDC_AUDIENCE,
      organization: env.ALPHASWARM_CLI_OIDC_ORGANIZATION,
      allowPlaintextFallback: env.ALPHASWARM_CLI_AUTH_ALLOW_PLAINTEXT_FALLBACK === '1',
    },
    edge: edgeConfigOf(env, production),
  });
}

/**
 * Variables whose feature has not landed yet. Setting one to a value that asks for the feature stops the
 * boot, so nobody believes a protection is on when it is not. Each entry leaves with the issue that
 * implements it.
 */
function refuseUnimplemented(env: Env): void {
  const notYet = (variable: string, feature: string) =>
    new ConfigError(
      variable,
      `${feature} is not implemented in this version; unset it (or set it to false/off)`,
    );
  const flags: [keyof Env, string][] = [
    ['ALPHASWARM_AUTH_MSAL_B2B_ENABLED', 'the legacy Entra MSAL B2B path'],
  ];
  for (const [variable, feature] of flags) {
    if (bool(env[variable] as string)) throw notYet(variable, feature);
  }
  const secrets: [keyof Env, string][] = [
    ['ALPHASWARM_AUTH0_MGMT_API_AUDIENCE', 'the Auth0 Management API client'],
    ['ALPHASWARM_AUTH0_MGMT_API_CLIENT_ID', 'the Auth0 Management API client'],
    ['ALPHASWARM_AUTH0_MGMT_API_CLIENT_SECRET', 'the Auth0 Management API client'],
  ];
  for (const [variable, feature] of secrets) {
    if (env[variable] !== undefined) throw notYet(variable, feature);
  }
}

/**
 * Families of variables owned by one feature: a name under the prefix that the `Env` class does not
 * declare is a typo or a variable of a newer version, and is refused rather than silently ignored.
 */
const FEATURE_PREFIXES: readonly string[] = ['ALPHASWARM_TENANT_ROUTER_'];

function refuseUnbuiltFeaturePrefixes(source: Record<string, string | undefined>): void {
  const known = new Set<string>(envNames());
  for (const [name, value] of Object.entries(source)) {
    if (value === undefined || value.trim() === '' || known.has(name)) continue;
    if (FEATURE_PREFIXES.some((prefix) => name.startsWith(prefix))) {
      throw new ConfigError(name, 'is not a variable of this version (docs/configuration.md); unset it');
    }
  }
}

/**
 * DPoP settings. The switches that refine DPoP need it on: a `REQUIRED=true` with DPoP off would
 * otherwise read as protection while every proof is ignored.
 */
function dpopConfig(env: Env, production: boolean): DpopConfig {
  const enabled = bool(env.ALPHASWARM_AUTH0_DPOP_ENABLED);
  const refinements: (keyof Env)[] = [
    'ALPHASWARM_AUTH0_DPOP_REQUIRED',
    'ALPHASWARM_DPOP_ENFORCEMENT_ENABLED',
    'ALPHASWARM_DPOP_NONCE_ENABLED',
  ];
  for (const variable of refinements) {
    if (bool(env[variable] as string) && !enabled) {
      throw new ConfigError(
        variable,
        'needs ALPHASWARM_AUTH0_DPOP_ENABLED=true; set that too, or unset this',
      );
    }
  }
  const nonceEnabled = bool(env.ALPHASWARM_DPOP_NONCE_ENABLED);
  if (production && nonceEnabled && env.ALPHASWARM_DPOP_NONCE_SECRET === undefined) {
    throw new ConfigError(
      'ALPHASWARM_DPOP_NONCE_SECRET',
      'required with ALPHASWARM_DPOP_NONCE_ENABLED=true and NODE_ENV=production: every instance must accept the nonces the others issue; set it to the output of openssl rand -hex 32',
    );
  }
  const jtiMaxLength = int(env.ALPHASWARM_DPOP_JTI_MAX_LENGTH);
  if (jtiMaxLength < 16 || jtiMaxLength > 1024) {
    throw new ConfigError('ALPHASWARM_DPOP_JTI_MAX_LENGTH', 'must be from 16 to 1024 characters, e.g. 128');
  }
  return {
    enabled,
    required: bool(env.ALPHASWARM_AUTH0_DPOP_REQUIRED),
    routeEnforcement: bool(env.ALPHASWARM_DPOP_ENFORCEMENT_ENABLED),
    algorithms: parseAlgorithms('ALPHASWARM_DPOP_ALGORITHMS', env.ALPHASWARM_DPOP_ALGORITHMS),
    proofMaxAgeSeconds: positive(
      'ALPHASWARM_DPOP_PROOF_MAX_AGE_SECONDS',
      env.ALPHASWARM_DPOP_PROOF_MAX_AGE_SECONDS,
    ),
    clockSkewSeconds: int(env.ALPHASWARM_DPOP_CLOCK_SKEW_SECONDS),
    jtiMaxLength,
    nonce: {
      enabled: nonceEnabled,
      secret: createSecretKey(
        env.ALPHASWARM_DPOP_NONCE_SECRET
          ? Buffer.from(env.ALPHASWARM_DPOP_NONCE_SECRET, 'utf8')
          : randomBytes(32),
      ),
      windowSeconds: positive(
        'ALPHASWARM_DPOP_NONCE_WINDOW_SECONDS',
        env.ALPHASWARM_DPOP_NONCE_WINDOW_SECONDS,
      ),
    },
  };
}

/**
 * The URL clients call, which a DPoP proof's `htu` must name. Configured, never taken from the request:
 * a `Host` or `X-Forwarded-Host` header is the caller's to forge, and trusting it would let a proof made
 * for another host pass here. Under the local provider the service is its own issuer, so the issuer's
 * URL is the public one.
 */
function publicUrlOf(
  env: Env,
  provider: Provider,
  issuer: string,
  dpopEnabled: boolean,
  production: boolean,
): string | undefined {
  const configured = env.ALPHASWARM_PUBLIC_URL;
  if (configured === undefined) {
    if (provider === 'local') return issuer.replace(/\/+$/, '');
    if (dpopEnabled) {
      throw new ConfigError(
        'ALPHASWARM_PUBLIC_URL',
        'required with ALPHASWARM_AUTH0_DPOP_ENABLED=true: proofs name the URL clients call; set it to the external origin, e.g. https://api.example.com',
      );
    }
    return undefined;
  }
  if (!plainUrl(configured)) {
    throw new ConfigError(
      'ALPHASWARM_PUBLIC_URL',
      'must be a plain URL without credentials, a query or a fragment, e.g. https://api.example.com',
    );
  }
  if (production && !secureUrl(configured)) {
    throw new ConfigError(
      'ALPHASWARM_PUBLIC_URL',
      'must be an https:// URL with NODE_ENV=production (http:// only on a loopback address)',
    );
  }
  const url = new URL(configured);
  return `${url.origin}${url.pathname}`.replace(/\/+$/, '');
}

/**
 * The log-stream webhook's shared secret. Production needs one (the webhook is how Auth0 revokes
 * sessions) and a strong one: besides the 32-character minimum of `Env`, a secret of few distinct
 * characters (`aaaa…`, `abab…`) is refused, as no random secret looks like that.
 */
function logStreamSecret(env: Env, production: boolean): string | undefined {
  const secret = env.ALPHASWARM_AUTH0_LOG_STREAM_SECRET;
  if (secret === undefined) {
    if (!production) return undefined;
    throw new ConfigError(
      'ALPHASWARM_AUTH0_LOG_STREAM_SECRET',
      'required with NODE_ENV=production: the Auth0 log stream revokes sessions; set it to the output of openssl rand -hex 32 (and the same value in the Auth0 webhook)',
    );
  }
  if (new Set(secret).size < 10) {
    throw new ConfigError(
      'ALPHASWARM_AUTH0_LOG_STREAM_SECRET',
      'is too predictable (fewer than 10 distinct characters); use the output of openssl rand -hex 32',
    );
  }
  return secret;
}

function parseAlgorithms(variable: string, csv: string): SigningAlgorithm[] {
  const names = csv
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  if (names.length === 0) {
    throw new ConfigError(variable, 'is empty; set it to RS256 (or a CSV of RS/PS/ES algorithms and EdDSA)');
  }
  for (const name of names) {
    if (/^none$/i.test(name) || /^HS/i.test(name)) {
      throw new ConfigError(
        variable,
        `${name} is refused: only asymmetric algorithms are accepted (RS256, PS256, ES256, …)`,
      );
    }
    if (!(ASYMMETRIC_ALGORITHMS as readonly string[]).includes(name)) {
      throw new ConfigError(
        variable,
        `${name} is not a supported algorithm; use a CSV of ${ASYMMETRIC_ALGORITHMS.join(', ')}`,
      );
    }
  }
  return [...new Set(names)] as SigningAlgorithm[];
}

function issuerAndAudience(env: Env, provider: Provider, port: number): { issuer: string; audience: string } {
  if (provider === 'local') {
    if (env.ALPHASWARM_AUTH_OIDC_ISSUER === undefined && port === 0) {
      throw new ConfigError(
        'ALPHASWARM_AUTH_OIDC_ISSUER',
        'required under the local provider when PORT=0 (the issuer URL must name the port); set it or choose a PORT',
      );
    }
    return {
      issuer:
        env.ALPHASWARM_AUTH_OIDC_ISSUER === undefined
          ? `http://127.0.0.1:${port}/`
          : plainIssuer(env.ALPHASWARM_AUTH_OIDC_ISSUER),
      audience: env.ALPHASWARM_AUTH_OIDC_AUDIENCE ?? LOCAL_DEFAULT_AUDIENCE,
    };
  }
  if (env.ALPHASWARM_AUTH_OIDC_ISSUER === undefined) {
    throw new ConfigError(
      'ALPHASWARM_AUTH_OIDC_ISSUER',
      `required with ALPHASWARM_AUTH_PROVIDER=${provider}; set it to the IdP's issuer, e.g. https://auth.example.com/`,
    );
  }
  if (env.ALPHASWARM_AUTH_OIDC_AUDIENCE === undefined) {
    throw new ConfigError(
      'ALPHASWARM_AUTH_OIDC_AUDIENCE',
      `required with ALPHASWARM_AUTH_PROVIDER=${provider}; set it to the API identifier, e.g. https://api.example.com/`,
    );
  }
  return {
    issuer: plainIssuer(env.ALPHASWARM_AUTH_OIDC_ISSUER),
    audience: env.ALPHASWARM_AUTH_OIDC_AUDIENCE,
  };
}

/** The issuer as configured, refused at boot unless it is a plain URL (see `plainUrl`). */
function plainIssuer(issuer: string): string {
  if (!plainUrl(issuer)) {
    throw new ConfigError(
      'ALPHASWARM_AUTH_OIDC_ISSUER',
      'must be a plain URL without credentials, a query or a fragment, e.g. https://auth.example.com/',
    );
  }
  return issuer;
}

function parseLocalClients(json: string): LocalClient[] {
  const problem = () =>
    new ConfigError(
      'ALPHASWARM_AUTH_LOCAL_CLIENTS',
      'must be a JSON array of {"client_id","client_secret" (16+ characters),"permissions":[…]}',
    );
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw problem();
  }
  if (!Array.isArray(parsed)) throw problem();
  const clients = parsed.map((entry: unknown): LocalClient => {
    if (typeof entry !== 'object' || entry === null) throw problem();
    const { client_id, client_secret, permissions } = entry as Record<string, unknown>;
    if (typeof client_id !== 'string' || !/^[\w.-]{1,128}$/.test(client_id)) throw problem();
    if (typeof client_secret !== 'string' || client_secret.length < 16) throw problem();
    if (!Array.isArray(permissions) || !permissions.every((p) => typeof p === 'string')) throw problem();
    return { clientId: client_id, clientSecret: client_secret, permissions: permissions };
  });
  if (new Set(clients.map((client) => client.clientId)).size !== clients.length) throw problem();
  return clients;
}

function credentialsConfig(env: Env, nodeEnv: NodeEnv): CredentialsConfig {
  return {
    kekSource: kekSourceOf(env, nodeEnv),
    resolveClientIds: clientIdList(
      'ALPHASWARM_CREDENTIALS_RESOLVE_CLIENT_IDS',
      env.ALPHASWARM_CREDENTIALS_RESOLVE_CLIENT_IDS,
    ),
    resolveRatePerMinute: int(env.ALPHASWARM_CREDENTIALS_RESOLVE_RATE_LIMIT),
    dataKeyCacheSize: int(env.ALPHASWARM_CREDENTIALS_DATA_KEY_CACHE_SIZE),
    serviceSecretsFromEnv: {
      auth0_mgmt_api_client_secret: env.ALPHASWARM_AUTH0_MGMT_API_CLIENT_SECRET,
      agent_broker_client_secret: env.ALPHASWARM_AUTH_AGENT_BROKER_CLIENT_SECRET,
    },
    userOAuth: userOAuthConfig(env, nodeEnv),
  };
}

function userOAuthConfig(env: Env, nodeEnv: NodeEnv): UserOAuthConfig {
  const enabled = bool(env.ALPHASWARM_USER_OAUTH_ENABLED);
  const redirectUri = env.ALPHASWARM_USER_OAUTH_REDIRECT_URI;
  if (enabled && redirectUri === undefined) {
    throw new ConfigError(
      'ALPHASWARM_USER_OAUTH_REDIRECT_URI',
      'required with ALPHASWARM_USER_OAUTH_ENABLED=true; set it to the app page registered at each provider, e.g. https://app.example.com/oauth/callback',
    );
  }
  const production = nodeEnv === 'production';
  if (production && redirectUri !== undefined && !secureUrl(redirectUri)) {
    throw new ConfigError(
      'ALPHASWARM_USER_OAUTH_REDIRECT_URI',
      'must be an https:// URL with NODE_ENV=production',
    );
  }
  const pair = (prefix: string): OAuthClientConfig | undefined => {
    const record = env as unknown as Record<string, string | undefined>;
    const clientId = record[`${prefix}_CLIENT_ID`];
    const clientSecret = record[`${prefix}_CLIENT_SECRET`];
    if (clientId === undefined && clientSecret === undefined) return undefined;
    if (clientId === undefined || clientSecret === undefined) {
      const missing = clientId === undefined ? `${prefix}_CLIENT_ID` : `${prefix}_CLIENT_SECRET`;
      throw new ConfigError(missing, `required with the other half of the pair; set both or neither`);
    }
    return { clientId, clientSecret };
  };
  const clients: Partial<Record<(typeof USER_OAUTH_PROVIDERS)[number], OAuthClientConfig>> = {};
  for (const provider of USER_OAUTH_PROVIDERS) {
    const client = pair(`ALPHASWARM_USER_OAUTH_${provider.toUpperCase()}`);
    if (client) clients[provider] = client;
  }
  const genericClient = pair('ALPHASWARM_USER_OAUTH_GENERIC');
  const issuer = env.ALPHASWARM_USER_OAUTH_GENERIC_ISSUER;
  if ((genericClient === undefined) !== (issuer === undefined)) {
    throw new ConfigError(
      'ALPHASWARM_USER_OAUTH_GENERIC_ISSUER',
      'the generic provider needs its issuer, client id and client secret together; set all three or none',
    );
  }
  if (production && issuer !== undefined && !secureUrl(issuer)) {
    throw new ConfigError(
      'ALPHASWARM_USER_OAUTH_GENERIC_ISSUER',
      'must be an https:// URL with NODE_ENV=production',
    );
  }
  return {
    enabled,
    redirectUri,
    stateTtlSeconds: int(env.ALPHASWARM_USER_OAUTH_STATE_TTL_SECONDS),
    clients,
    generic:
      genericClient && issuer
        ? { ...genericClient, issuer, scopes: env.ALPHASWARM_USER_OAUTH_GENERIC_SCOPES }
        : undefined,
  };
}

function kekSourceOf(env: Env, nodeEnv: NodeEnv): KekSource {
  const inline = env.ALPHASWARM_CREDENTIALS_KEKS;
  const file = env.ALPHASWARM_CREDENTIALS_KEK_FILE;
  if (inline !== undefined && file !== undefined) {
    throw new ConfigError(
      'ALPHASWARM_CREDENTIALS_KEK_FILE',
      'set either it or ALPHASWARM_CREDENTIALS_KEKS, not both (one source of keys)',
    );
  }
  if (inline !== undefined) {
    return { kind: 'configured', keks: parseKekSet('ALPHASWARM_CREDENTIALS_KEKS', inline) };
  }
  if (file !== undefined) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      throw new ConfigError(
        'ALPHASWARM_CREDENTIALS_KEK_FILE',
        'cannot be read; point it at a readable file of <id>:<base64 key> lines',
      );
    }
    return { kind: 'configured', keks: parseKekSet('ALPHASWARM_CREDENTIALS_KEK_FILE', text) };
  }
  if (nodeEnv === 'production') {
    throw new ConfigError(
      'ALPHASWARM_CREDENTIALS_KEKS',
      'required with NODE_ENV=production (or ALPHASWARM_CREDENTIALS_KEK_FILE): without it no credential can be stored or read; set it to k1:$(openssl rand -base64 32)',
    );
  }
  if (nodeEnv === 'development') {
    return { kind: 'development-file', path: join(env.ALPHASWARM_DATA_DIR, 'credentials-keks') };
  }
  return { kind: 'ephemeral' };
}

function positive(variable: string, value: string): number {
  const seconds = int(value);
  if (seconds <= 0) throw new ConfigError(variable, 'must be at least 1 second');
  return seconds;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

/**
 * A CSV of OAuth client ids (Auth0's are 32 URL-safe characters; others differ, so only the characters
 * a client id can hold are checked). Other services name their own list variable and reuse this.
 */
export function clientIdList(variable: string, csv: string): ReadonlySet<string> {
  const ids = csv
    .split(',')
    .map((id) => id.trim())
    .filter((id) => id !== '');
  for (const id of ids) {
    if (!/^[A-Za-z0-9._~:@-]{1,256}$/.test(id)) {
      throw new ConfigError(
        variable,
        'holds a value that is not a client id; give a CSV of client ids such as abc123,def456',
      );
    }
  }
  return Object.freeze(new Set(ids));
}

/**
 * ALPHASWARM_AUTH_DISPOSABLE_EMAIL_DOMAINS: a CSV of domains, where `default` stands for the built-in list
 * (so `default,example.net` extends it) and `none` alone means no block list.
 */
function emailDomainList(csv: string): ReadonlySet<string> {
  const entries = csv
    .split(',')
    .map((entry) => entry.trim().toLowerCase().replace(/\.$/, ''))
    .filter((entry) => entry !== '');
  if (entries.length === 1 && entries[0] === 'none') return Object.freeze(new Set<string>());
  const domains = new Set<string>();
  for (const entry of entries) {
    if (entry === 'default') {
      for (const domain of DISPOSABLE_EMAIL_DOMAINS) domains.add(domain);
    } else if (/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$/.test(entry)) {
      domains.add(entry);
    } else {
      throw new ConfigError(
        'ALPHASWARM_AUTH_DISPOSABLE_EMAIL_DOMAINS',
        'must be a CSV of email domains such as mailinator.com, where default stands for the built-in list (or none alone to block nothing)',
      );
    }
  }
  return Object.freeze(domains);
}

// ── Delegated agent tokens and MCP (docs/agents-and-mcp.md) ──────────────────────────────────

const BROKER_VARIABLES = [
  'ALPHASWARM_AUTH_AGENT_BROKER_CLIENT_ID',
  'ALPHASWARM_AUTH_AGENT_BROKER_CLIENT_SECRET',
  'ALPHASWARM_AUTH_AGENT_BROKER_TOKEN_ENDPOINT',
] as const;

/**
 * Under local the service's own issuer performs the exchange, so broker credentials there are a
 * mistake; under auth0/oidc the exchange is the IdP's and needs the broker client.
 */
function agentTokenExchangeOf(
  env: Env,
  provider: Provider,
  issuer: string,
  production: boolean,
): AgentTokenExchangeConfig {
  const enabled = bool(env.ALPHASWARM_AUTH_AGENT_TOKEN_EXCHANGE_ENABLED);
  if (provider === 'local') {
    for (const variable of BROKER_VARIABLES) {
      if (env[variable] !== undefined) {
        throw new ConfigError(
          variable,
          'the local provider exchanges agent tokens itself; unset it (it is for auth0/oidc)',
        );
      }
    }
    return { enabled };
  }
  // Production reads the service's own secrets from the encrypted store only; a secret in the
  // environment there would be silently ignored, so it is refused instead.
  if (production && env.ALPHASWARM_AUTH_AGENT_BROKER_CLIENT_SECRET !== undefined) {
    throw new ConfigError(
      'ALPHASWARM_AUTH_AGENT_BROKER_CLIENT_SECRET',
      `is not read with NODE_ENV=production; unset it and seed the encrypted store with ${SEED_BROKER_SECRET}`,
    );
  }
  if (!enabled) return { enabled };
  const clientId = env.ALPHASWARM_AUTH_AGENT_BROKER_CLIENT_ID;
  if (clientId === undefined) {
    throw new ConfigError(
      'ALPHASWARM_AUTH_AGENT_BROKER_CLIENT_ID',
      `required with ALPHASWARM_AUTH_AGENT_TOKEN_EXCHANGE_ENABLED=true under ${provider}; set the alphaswarm-agent-broker client's id`,
    );
  }
  const tokenEndpoint = env.ALPHASWARM_AUTH_AGENT_BROKER_TOKEN_ENDPOINT ?? `${withSlash(issuer)}oauth/token`;
  if (!secureUrl(tokenEndpoint)) {
    throw new ConfigError(
      'ALPHASWARM_AUTH_AGENT_BROKER_TOKEN_ENDPOINT',
      'must be an https:// URL (http:// only on a loopback address): the broker sends its client secret there',
    );
  }
  return { enabled, broker: { clientId, tokenEndpoint } };
}

/** How an operator puts the agent broker's client secret into the encrypted store (docs/credentials.md). */
export const SEED_BROKER_SECRET =
  'printf %s "$SECRET" | npm run --silent credentials:set-service-secret -- --name agent_broker_client_secret';

function mcpOf(env: Env, provider: Provider, issuer: string, production: boolean): McpConfig {
  const requireRfc8707 = env.ALPHASWARM_MCP_REQUIRE_RFC8707 as 'off' | 'strict';
  const canonical = (variable: keyof Env, path: string): string | undefined => {
    const configured = env[variable];
    const uri = configured ?? (provider === 'local' ? `${withSlash(issuer)}${path}` : undefined);
    if (uri === undefined) {
      if (requireRfc8707 === 'strict') {
        throw new ConfigError(
          variable,
          `required with ALPHASWARM_MCP_REQUIRE_RFC8707=strict; set it to the server's public URL, e.g. https://api.example.com/${path}`,
        );
      }
      return undefined;
    }
    // RFC 8707 §2: a resource indicator is an absolute URI without a fragment.
    if (uri.includes('#') || (production && !secureUrl(uri))) {
      throw new ConfigError(variable, 'must be an absolute https:// URL without a fragment');
    }
    return uri;
  };
  const dataCanonicalUri = canonical('ALPHASWARM_MCP_DATA_CANONICAL_URI', 'mcp/data');
  const codebaseCanonicalUri = canonical('ALPHASWARM_MCP_CODEBASE_CANONICAL_URI', 'mcp/codebase');
  const canonicalUrls = [dataCanonicalUri, codebaseCanonicalUri]
    .filter((uri): uri is string => uri !== undefined)
    .map((uri) => new URL(uri));

  const origins = csv(env.ALPHASWARM_MCP_ALLOWED_ORIGINS ?? '').map((origin) => {
    let parsed: URL | undefined;
    try {
      parsed = new URL(origin);
    } catch {
      parsed = undefined;
    }
    if (!parsed || parsed.origin !== origin.replace(/\/$/, '')) {
      throw new ConfigError(
        'ALPHASWARM_MCP_ALLOWED_ORIGINS',
        'must be a CSV of origins such as https://app.example.com (scheme, host and port only)',
      );
    }
    return parsed.origin;
  });
  const hosts = csv(env.ALPHASWARM_MCP_ALLOWED_HOSTS ?? '').map((host) => {
    if (!/^[A-Za-z0-9.-]+(?::\d{1,5})?$|^\[[0-9a-fA-F:]+\](?::\d{1,5})?$/.test(host)) {
      throw new ConfigError(
        'ALPHASWARM_MCP_ALLOWED_HOSTS',
        'must be a CSV of host names with an optional port, e.g. mcp.example.com,10.0.0.5:3000',
      );
    }
    return host.toLowerCase();
  });

  const upstreamUrl = env.ALPHASWARM_MCP_UPSTREAM_URL;
  const upstreamAudience = env.ALPHASWARM_MCP_UPSTREAM_AUDIENCE;
  if ((upstreamUrl === undefined) !== (upstreamAudience === undefined)) {
    throw new ConfigError(
      upstreamUrl === undefined ? 'ALPHASWARM_MCP_UPSTREAM_URL' : 'ALPHASWARM_MCP_UPSTREAM_AUDIENCE',
      'ALPHASWARM_MCP_UPSTREAM_URL and ALPHASWARM_MCP_UPSTREAM_AUDIENCE go together; set both or neither',
    );
  }
  if (upstreamUrl !== undefined && production && !secureUrl(upstreamUrl)) {
    throw new ConfigError('ALPHASWARM_MCP_UPSTREAM_URL', 'must be an https:// URL with NODE_ENV=production');
  }

  return {
    dataCanonicalUri,
    codebaseCanonicalUri,
    requireRfc8707,
    allowedOrigins: new Set([...canonicalUrls.map((url) => url.origin), ...origins]),
    allowedHosts: new Set([...canonicalUrls.map((url) => url.host.toLowerCase()), ...hosts]),
    codebase: {
      root: env.ALPHASWARM_MCP_CODEBASE_ROOT,
      maxFileBytes: int(env.ALPHASWARM_MCP_CODEBASE_MAX_FILE_BYTES),
    },
    upstream:
      upstreamUrl !== undefined && upstreamAudience !== undefined
        ? { url: upstreamUrl, audience: upstreamAudience }
        : undefined,
  };
}

function csv(value: string): string[] {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}
