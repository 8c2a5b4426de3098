import { Injectable, Logger } from '@nestjs/common';
import type { Counter } from 'prom-client';
import { RequestError } from '../../common/errors/request-error';
import { SYSTEM_SCOPE, TenantDb } from '../../database/tenant-db';
import { MetricsService } from '../../observability/metrics.service';
import { CleanupForUser } from '../revocation/cleanup-for-user';
import { LogoutTokenError, LogoutTokenVerifier } from './logout-token-verifier';

/** The event recorded in the ledger for a back-channel logout. */
export const BACKCHANNEL_LOGOUT = 'backchannel_logout';

/**
 * OIDC Back-Channel Logout 1.0 (docs/revocation.md): a valid logout token revokes its user's tokens
 * issued at or before its `iat`, like `cleanup_for_user`. Its `jti` is stored in the same transaction
 * as the revocation, so a replay is refused on every instance, and a revocation that could not be
 * stored or broadcast leaves no `jti` behind: the OP may deliver the same token again.
 */
@Injectable()
export class BackchannelLogout {
  private readonly logger = new Logger('backchannel-logout');
  private readonly outcomes: Counter<'outcome'>;

  constructor(
    private readonly verifier: LogoutTokenVerifier,
    private readonly tenantDb: TenantDb,
    private readonly cleanup: CleanupForUser,
    metrics: MetricsService,
  ) {
    this.outcomes = metrics.counter(
      'alphaswarm_backchannel_logout_total',
      'Back-channel logout requests: revoked, refused (invalid token), replayed (jti seen before) or failed (503)',
      ['outcome'],
    );
  }

  /** Revokes, or throws 400 (invalid or replayed token) or 503 (not stored; the OP may retry). */
  async logout(token: string): Promise<void> {
    let claims;
    try {
      claims = await this.verifier.verify(token);
    } catch (error) {
      if (!(error instanceof LogoutTokenError)) throw error;
      this.outcomes.inc({ outcome: 'refused' });
      this.logger.warn({ event: 'backchannel_logout_refused', problem: error.problem });
      throw new RequestError('invalid_request', 400, `Invalid logout token: ${error.problem}`);
    }
    try {
      await this.tenantDb.run(SYSTEM_SCOPE, async (db) => {
        // Expired ids cannot be replayed (their token would be refused as stale): forget them as we go.
        await db.query(`DELETE FROM oidc_logout_token_jtis WHERE expires_at < now()`);
        const inserted = await db.query<unknown[]>(
          `INSERT INTO oidc_logout_token_jtis (jti, expires_at) VALUES ($1, $2) ON CONFLICT (jti) DO NOTHING RETURNING jti`,
          [claims.jti, claims.rememberUntil],
        );
        if (inserted.length === 0)
          throw new RequestError('invalid_request', 400, 'Invalid logout token: it was used before');
        await this.cleanup.revokeIn(db, {
          sub: claims.sub,
          revokedBefore: new Date(claims.iat * 1000),
          source: 'oidc_backchannel_logout',
          eventTypes: [BACKCHANNEL_LOGOUT],
          tokenId: claims.jti,
        });
      });
    } catch (error) {
      if (error instanceof RequestError) {
        this.outcomes.inc({ outcome: 'replayed' });
        throw error;
      }
      this.outcomes.inc({ outcome: 'failed' });
      this.logger.warn({ event: 'backchannel_logout_failed', err: error });
      throw new RequestError(
        'service_unavailable',
        503,
        'The logout could not be recorded; deliver it again',
      );
    }
    this.outcomes.inc({ outcome: 'revoked' });
  }
}
