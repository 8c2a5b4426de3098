import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AuditLedger } from '../audit/ledger/audit-ledger';
import type { ChangeActor } from './org-scope/org-access';

/**
 * Writes a tenancy change to the security audit ledger inside the change's own transaction: the change
 * never commits without its row, and a failed ledger write rolls the change back.
 */
@Injectable()
export class TenancyAudit {
  constructor(private readonly ledger: AuditLedger) {}

  /** `change` names what happened (`tenancy.member_removed`); `details` says to what, never secrets. */
  record(
    db: EntityManager,
    actor: ChangeActor,
    orgId: string,
    change: string,
    details: Record<string, unknown>,
  ): Promise<void> {
    return this.ledger.append(db, {
      eventType: change,
      outcome: 'success',
      orgId,
      userId: actor.sub,
      route: actor.route,
      ip: actor.ip,
      requestId: actor.requestId,
      details,
    });
  }
}
