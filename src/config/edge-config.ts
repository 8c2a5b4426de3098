import { ASYMMETRIC_ALGORITHMS, ConfigError, type SigningAlgorithm } from './app-config';
import { Env } from './env';
import { plainUrl, secureUrl } from './urls';

export type EdgeAuthMode = 'required' | 'permissive' | 'disabled';
export type CbaMode = 'enforce' | 'monitor';

/** The edge check for the tenant router (docs/edge.md), present only when its AUTH_MODE is set. */
export interface EdgeConfig {
  readonly mode: EdgeAuthMode;
  /** The trusted issuer of the edge's tokens; undefined only in `disabled` mode. */
  readonly issuer?: string;
  readonly audience?: string;
  readonly jwksUri?: string;
  readonly algorithms: readonly SigningAlgorithm[];
  /** Envoy's HTTP service mode is served under `<httpPathPrefix>/…`. */
  readonly httpPathPrefix: string;
  /** 0: no gRPC server. */
  readonly grpcPort: number;
  readonly cells: {
    /** The control plane's cells list; undefined for a single-cell edge (`destinationCellId`). */
    readonly url?: string;
    readonly pollSeconds: number;
    readonly staleAfterSeconds: number;
    readonly defaultTier: string;
  };
  readonly cba: {
    readonly mode: CbaMode;
    /** This edge's cell: CBA tokens must be addressed to it. */
    readonly destinationCellId?: string;
  };
}

const PREFIX = 'ALPHASWARM_TENANT_ROUTER_';
const bool = (value: string): boolean => value === 'true' || value === '1';

/**
 * The edge's configuration, with the same fail-closed rules as the API's token validation: issuer and
 * audience required unless the check is disabled, HS* and `none` refused, `disabled` only on request
 * and never in production, and somewhere to route to (a cells registry or one pinned cell).
 */
export function edgeConfigOf(env: Env, production: boolean): EdgeConfig | undefined {
  const mode = env.ALPHASWARM_TENANT_ROUTER_AUTH_MODE as EdgeAuthMode | undefined;
  if (mode === undefined) {
    const stray = setEdgeVariables(env)[0];
    if (stray !== undefined) {
      throw new ConfigError(
        stray,
        `belongs to the edge check, which is off; set ${PREFIX}AUTH_MODE=required (or permissive) to turn it on, or unset it`,
      );
    }
    return undefined;
  }
  if (mode === 'disabled') {
    if (!bool(env.ALPHASWARM_TENANT_ROUTER_ALLOW_INSECURE)) {
      throw new ConfigError(
        `${PREFIX}AUTH_MODE`,
        `disabled lets every request through unauthenticated; use permissive for a rollout (or set ${PREFIX}ALLOW_INSECURE=true for local development)`,
      );
    }
    if (production) {
      throw new ConfigError(
        `${PREFIX}AUTH_MODE`,
        'disabled is refused with NODE_ENV=production; use permissive to roll back (docs/edge.md)',
      );
    }
  }
  const algorithms = edgeAlgorithms(env.ALPHASWARM_TENANT_ROUTER_OIDC_ALGORITHMS);
  const issuer = env.ALPHASWARM_TENANT_ROUTER_OIDC_ISSUER;
  const audience = env.ALPHASWARM_TENANT_ROUTER_OIDC_AUDIENCE;
  if (mode !== 'disabled' && issuer === undefined) {
    throw new ConfigError(
      `${PREFIX}OIDC_ISSUER`,
      `required with ${PREFIX}AUTH_MODE=${mode}; set it to the IdP's issuer, e.g. https://<tenant>.us.auth0.com/`,
    );
  }
  if (mode !== 'disabled' && audience === undefined) {
    throw new ConfigError(
      `${PREFIX}OIDC_AUDIENCE`,
      `required with ${PREFIX}AUTH_MODE=${mode}; set it to the API identifier, e.g. https://api.alphaswarm.internal/manage`,
    );
  }
  if (issuer !== undefined && !plainUrl(issuer)) {
    throw new ConfigError(
      `${PREFIX}OIDC_ISSUER`,
      'must be a plain URL without credentials, a query or a fragment, e.g. https://auth.example.com/',
    );
  }
  const jwksUri =
    env.ALPHASWARM_TENANT_ROUTER_JWKS_URI ??
    (issuer === undefined
      ? undefined
      : `${issuer.endsWith('/') ? issuer : `${issuer}/`}.well-known/jwks.json`);
  const cellsUrl = env.ALPHASWARM_TENANT_ROUTER_CELLS_URL;
  if (production) {
    const insecure: [string, string | undefined][] = [
      [`${PREFIX}OIDC_ISSUER`, issuer],
      [`${PREFIX}JWKS_URI`, jwksUri],
      [`${PREFIX}CELLS_URL`, cellsUrl],
    ];
    for (const [variable, value] of insecure) {
      if (value !== undefined && !secureUrl(value)) {
        throw new ConfigError(
          variable,
          'must be an https:// URL with NODE_ENV=production (http:// only on a loopback address)',
        );
      }
    }
  }
  const destinationCellId = env.ALPHASWARM_TENANT_ROUTER_CBA_DESTINATION_CELL_ID;
  if (cellsUrl === undefined && destinationCellId === undefined) {
    throw new ConfigError(
      `${PREFIX}CELLS_URL`,
      `the edge needs cells to route to; set it to the control plane's cells list ($CP/manage/cells), or pin ${PREFIX}CBA_DESTINATION_CELL_ID on a single-cell edge`,
    );
  }
  const grpcPort = Number.parseInt(env.ALPHASWARM_TENANT_ROUTER_GRPC_PORT, 10);
  if (grpcPort > 65535) {
    throw new ConfigError(`${PREFIX}GRPC_PORT`, 'must be a port number between 0 and 65535 (0: off)');
  }
  if (grpcPort !== 0 && String(grpcPort) === env.PORT) {
    throw new ConfigError(
      `${PREFIX}GRPC_PORT`,
      `is PORT (${env.PORT}), which HTTP holds; choose another port (or 0: off)`,
    );
  }
  const httpPathPrefix = env.ALPHASWARM_TENANT_ROUTER_HTTP_PATH_PREFIX;
  if (!httpPathPrefix.startsWith('/ext_authz/') || '/ext_authz/v3/check'.startsWith(httpPathPrefix)) {
    // Under /ext_authz/ it can shadow no API route; and it must not swallow the JSON form's path.
    throw new ConfigError(
      `${PREFIX}HTTP_PATH_PREFIX`,
      'must be a path under /ext_authz/ other than /ext_authz/v3, e.g. /ext_authz/http',
    );
  }
  return {
    mode,
    issuer,
    audience,
    jwksUri,
    algorithms,
    httpPathPrefix,
    grpcPort,
    cells: {
      url: cellsUrl,
      pollSeconds: Number.parseInt(env.ALPHASWARM_TENANT_ROUTER_CELLS_POLL_SECONDS, 10),
      staleAfterSeconds: Number.parseInt(env.ALPHASWARM_TENANT_ROUTER_REGISTRY_STALENESS_WARN_SECONDS, 10),
      defaultTier: env.ALPHASWARM_TENANT_ROUTER_DEFAULT_TIER,
    },
    cba: {
      mode: env.ALPHASWARM_TENANT_ROUTER_CBA_MODE as CbaMode,
      destinationCellId,
    },
  };
}

/** Edge variables set away from their defaults (only AUTH_MODE may switch the feature on). */
function setEdgeVariables(env: Env): string[] {
  const defaults = new Env() as unknown as Record<string, unknown>;
  const given = env as unknown as Record<string, unknown>;
  return Object.keys(defaults).filter((name) => name.startsWith(PREFIX) && given[name] !== defaults[name]);
}

function edgeAlgorithms(csv: string): SigningAlgorithm[] {
  const variable = `${PREFIX}OIDC_ALGORITHMS`;
  const names = csv
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  if (names.length === 0)
    throw new ConfigError(variable, 'is empty; set it to RS256 (or a CSV of RS/PS/ES and EdDSA)');
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
