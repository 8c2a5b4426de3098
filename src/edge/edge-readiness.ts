import { Inject, Injectable } from '@nestjs/common';
import type { EdgeConfig } from '../config/edge-config';
import type { ReadinessCheck, ReadinessReport } from '../observability/readiness-check';
import { CellsRegistry } from './cells/cells-registry';
import { EdgeAuthorizer } from './edge-authorizer';
import { EDGE_CONFIG } from './edge-config.token';

/**
 * The edge's part of /readyz: the runbook's posture (`auth_mode`, `cba_mode`, `cells`,
 * `registry_stale`) at the top level, and its issuer's keys and its registry under `checks.edge`.
 * Not ready while its issuer's keys were never fetched (every token would be refused
 * `jwks_unreachable`) or while it has no active cell at all. A stale registry keeps it ready: routing
 * continues on the last-known-good cells.
 */
@Injectable()
export class EdgeReadiness implements ReadinessCheck {
  readonly name = 'edge';

  constructor(
    @Inject(EDGE_CONFIG) private readonly config: EdgeConfig,
    private readonly authorizer: EdgeAuthorizer,
    private readonly cells: CellsRegistry,
  ) {}

  report(): ReadinessReport {
    const cells = this.cells.status();
    const keys = this.authorizer.keys?.status();
    return {
      ready: cells.cells > 0 && keys?.status !== 'cold',
      summary: {
        auth_mode: this.config.mode,
        cba_mode: this.config.cba.mode,
        cells: cells.cells,
        registry_stale: cells.stale,
      },
      details: {
        jwks: keys === undefined ? null : { status: keys.status, uri: keys.uri, keys: keys.keys },
        registry: {
          source: cells.source,
          last_success_at: cells.lastSuccessAt ?? null,
          ...(cells.lastError !== undefined ? { error: cells.lastError } : {}),
        },
      },
    };
  }
}
