import { Global, Module } from '@nestjs/common';
import { DECISION_SINK } from '../identity/decisions/decision-sink';
import { AuditDecisionBuffer } from './decisions/audit-decision-buffer';
import { AuditLedger } from './ledger/audit-ledger';
import { AuditRetention } from './ledger/audit-retention';

/**
 * The security audit ledger (SPEC §8): the writer (`AuditLedger`, for every module that records a
 * change), the buffered sink of identity's decisions, and the retention job (the read API
 * under /audit is AuditReadModule's).
 * Global so that any module can inject `AuditLedger`, and identity's `AuthDecisions` finds the sink.
 */
@Global()
@Module({
  providers: [
    AuditLedger,
    AuditDecisionBuffer,
    { provide: DECISION_SINK, useExisting: AuditDecisionBuffer },
    AuditRetention,
  ],
  exports: [AuditLedger, DECISION_SINK],
})
export class AuditModule {}
