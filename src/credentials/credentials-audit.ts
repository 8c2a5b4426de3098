import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AuditLedger } from '../audit/ledger/audit-ledger';
import type { ChangeActor } from '../tenancy/org-scope/org-access';

/**
 * Writes credential events to the security audit ledger inside the change's own transaction. Details
 * name the record, its fingerprint and last four characters: never a secret.
 */
@Injectable()
export class CredentialsAudit {
  constructor(private readonly ledger: AuditLedger) {}

  record(
    db: EntityManager,
    actor: ChangeActor,
    orgId: string | null,
    event: string,
    details: Record<string, unknown>,
    outcome: { outcome: 'success' | 'failure'; reason?: string } = { outcome: 'success' },
  ): Promise<void> {
    return this.ledger.append(db, {
      eventType: event,
      ...outcome,
      orgId,
      userId: actor.sub,
      route: actor.route,
      ip: actor.ip,
      requestId: actor.requestId,
      details,
    });
  }
}
