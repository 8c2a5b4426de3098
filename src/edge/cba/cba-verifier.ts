import { Inject, Injectable, Logger } from '@nestjs/common';
import { createLocalJWKSet, errors, type JSONWebKeySet, jwtVerify } from 'jose';
import type { Counter } from 'prom-client';
import { APP_CONFIG, ASYMMETRIC_ALGORITHMS, type AppConfig } from '../../config/app-config';
import type { EdgeConfig } from '../../config/edge-config';
import { MetricsService } from '../../observability/metrics.service';
import { CellsRegistry } from '../cells/cells-registry';
import { EDGE_CONFIG } from '../edge-config.token';
import type { EdgeReason } from '../edge-reasons';

/** The registry annotation in which a cell publishes the keys of the CBAs it mints (a JWKS as a string). */
export const CBA_JWKS_ANNOTATION = 'alphaswarm.internal/cba-jwks';
const MAX_CBA_LENGTH = 8192;

type CbaProblem = Extract<EdgeReason, `cba_${string}`>;
type KeySet = ReturnType<typeof createLocalJWKSet>;

/**
 * Cross-cell Cell-Bound-Authorization tokens (runbook §5): a JWT whose `iss` is the source cell's id,
 * signed with a key that cell publishes in its registry annotation, and whose `aud` is this cell
 * (CBA_DESTINATION_CELL_ID when pinned, else the cell the request is routed to). jose verifies it;
 * `none`, HS* and keys named by the token are never used. Every CBA seen is counted in
 * `alphaswarm_tenant_router_cba_decisions_total{decision,mode,reason}`.
 */
@Injectable()
export class CbaVerifier {
  private readonly logger = new Logger('edge');
  private readonly decisions: Counter<'decision' | 'mode' | 'reason'>;
  /** The imported key set of each source cell, by the annotation text it came from. */
  private readonly keySets = new Map<string, { text: string; keys: KeySet }>();
  private readonly skewSeconds: number;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(EDGE_CONFIG) private readonly edge: EdgeConfig,
    private readonly cells: CellsRegistry,
    metrics: MetricsService,
  ) {
    this.skewSeconds = config.auth.clockSkewSeconds;
    this.decisions = metrics.counter(
      'alphaswarm_tenant_router_cba_decisions_total',
      'Cell-Bound-Authorization checks at the edge by outcome, CBA mode and reason',
      ['decision', 'mode', 'reason'],
    );
  }

  /**
   * Checks the CBA values a request carries (more than one is malformed) for the cell it is routed to.
   * Returns the problem, or undefined when the CBA holds; counts the outcome either way.
   */
  async check(values: readonly string[], routedCellId: string): Promise<CbaProblem | undefined> {
    const problem = values.length === 1 ? await this.problemOf(values[0], routedCellId) : 'cba_malformed';
    const mode = this.edge.cba.mode;
    if (problem === undefined) {
      this.decisions.inc({ decision: 'allow', mode, reason: 'valid' });
      return undefined;
    }
    const decision = mode === 'enforce' ? 'deny' : 'would_deny';
    this.decisions.inc({ decision, mode, reason: problem });
    this.logger.log({ event: mode === 'enforce' ? 'cba_deny' : 'cba_would_deny', reason: problem });
    return problem;
  }

  private async problemOf(token: string, routedCellId: string): Promise<CbaProblem | undefined> {
    const value = token.trim();
    const bearer = /^bearer +/i.exec(value);
    const jwt = bearer ? value.slice(bearer[0].length) : value;
    if (jwt.length === 0 || jwt.length > MAX_CBA_LENGTH || !/^[\w-]+\.[\w-]+\.[\w-]*$/.test(jwt)) {
      return 'cba_malformed';
    }
    let issuer: unknown;
    try {
      issuer = (JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8')) as { iss?: unknown })
        .iss;
    } catch {
      return 'cba_malformed';
    }
    if (typeof issuer !== 'string') return 'cba_malformed';
    const source = this.cells.cell(issuer);
    const keys =
      source === undefined ? undefined : this.keySetOf(source.id, source.annotations[CBA_JWKS_ANNOTATION]);
    if (keys === undefined) return 'cba_unknown_source_cell';
    try {
      await jwtVerify(jwt, keys, {
        issuer,
        audience: this.edge.cba.destinationCellId ?? routedCellId,
        algorithms: [...ASYMMETRIC_ALGORITHMS],
        clockTolerance: this.skewSeconds,
        requiredClaims: ['exp'],
      });
      return undefined;
    } catch (error) {
      return problemOfJoseError(error);
    }
  }

  private keySetOf(cellId: string, text: string | undefined): KeySet | undefined {
    if (text === undefined) return undefined;
    const known = this.keySets.get(cellId);
    if (known?.text === text) return known.keys;
    try {
      const keys = createLocalJWKSet(JSON.parse(text) as JSONWebKeySet);
      this.keySets.set(cellId, { text, keys });
      return keys;
    } catch {
      return undefined;
    }
  }
}

function problemOfJoseError(error: unknown): CbaProblem {
  if (error instanceof errors.JWTExpired) return 'cba_expired';
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'aud') return 'cba_wrong_destination';
    if (error.claim === 'nbf' || error.claim === 'iat') return 'cba_expired';
    return 'cba_malformed';
  }
  if (
    error instanceof errors.JWSSignatureVerificationFailed ||
    error instanceof errors.JWKSNoMatchingKey ||
    error instanceof errors.JWKSMultipleMatchingKeys
  ) {
    return 'cba_invalid_signature';
  }
  return 'cba_malformed';
}
