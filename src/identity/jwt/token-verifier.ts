import type { KeyObject } from 'node:crypto';
import { Registry } from 'prom-client';
import type { AppConfig, SigningAlgorithm } from '../../config/app-config';
import { MetricsService } from '../../observability/metrics.service';
import { AuthError } from '../errors/auth-error';
import type { Principal } from '../principal';
import { AccessTokenRules, type InspectedToken } from './access-token-rules';
import { JwksKeyStore } from './jwks-key-store';
import { keySuits, signatureVerifies } from './jws-signature';

/** Whom a verifier trusts: one issuer, the audience its tokens must carry, where its keys are. */
export interface IssuerTrust {
  readonly issuer: string;
  readonly audience: string;
  readonly jwksUri: string;
  readonly algorithms: readonly SigningAlgorithm[];
}

/**
 * The API's token rules and key store for another issuer, without passport: parse once, look the key
 * up (a JWKS fetch only when the kid is unknown), check the signature over the exact signing input, then
 * the claim rules. Same refusals and reason codes as the API's own path (docs/authentication.md).
 */
export class TokenVerifier {
  constructor(
    private readonly rules: AccessTokenRules,
    readonly keys: JwksKeyStore,
  ) {}

  /** The principal of a valid access token; an AuthError naming why otherwise. */
  async verify(token: string): Promise<Principal> {
    const inspected = this.rules.inspect(token);
    const keys =
      this.keys.knownKeys(inspected.kid, inspected.alg) ??
      (await this.keys.keysFor(inspected.kid, inspected.alg));
    return this.principalOf(inspected, keys);
  }

  private principalOf(token: InspectedToken, keys: readonly KeyObject[]): Principal {
    let suitable = 0;
    for (const key of keys) {
      if (!keySuits(token.alg, key)) continue;
      suitable += 1;
      if (verifies(token, key)) return this.rules.toPrincipal(token.claims);
    }
    throw new AuthError(suitable === 0 ? 'forbidden_algorithm' : 'invalid_signature');
  }
}

function verifies(token: InspectedToken, key: KeyObject): boolean {
  try {
    return signatureVerifies(token.alg, key, token.signingInput, token.signature);
  } catch {
    // OpenSSL refuses some signatures outright (e.g. a wrong length) rather than returning false.
    return false;
  }
}

/**
 * A verifier for `trust`, with the API's other token rules (clock skew, claim namespaces, M2M) from
 * `config`. An ID token addressed to the SPA is still refused: with no SPA client id of its own, the
 * verifier refuses any token whose audience is not `trust.audience`.
 *
 * Its key store's metrics (`alphaswarm_jwks_*`) go to a registry of their own, because the API's key
 * store already holds those names in the app's registry; its state is read through `keys.status()`.
 */
export function createTokenVerifier(config: AppConfig, trust: IssuerTrust): TokenVerifier {
  const scoped: AppConfig = {
    ...config,
    auth: {
      ...config.auth,
      issuer: trust.issuer,
      audience: trust.audience,
      m2mAudience: trust.audience,
      jwksUri: trust.jwksUri,
      algorithms: trust.algorithms,
      spaClientId: undefined,
    },
  };
  return new TokenVerifier(new AccessTokenRules(scoped), new JwksKeyStore(scoped, privateMetrics()));
}

/** A MetricsService over a registry nobody scrapes, without the process metrics a new one would add. */
function privateMetrics(): MetricsService {
  const metrics = Object.create(MetricsService.prototype) as { registry: Registry };
  metrics.registry = new Registry();
  return metrics as unknown as MetricsService;
}
