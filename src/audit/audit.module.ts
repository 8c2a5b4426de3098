import { Module } from '@nestjs/common';
import { AuditDecisionBuffer } from './decisions/audit-decision-buffer';
import { AuditLedger } from './ledger/audit-ledger';
import { AuditRetention } from './ledger/audit-retention';

/**
 * The security audit ledger (docs/audit-ledger.md): the writer (`AuditLedger`, for every module that records a
 * change), the buffered sink of identity's decisions, and the retention job (the read API under /audit
 * is AuditReadModule's). It imports nothing above the global core; a module that imports it writes to
 * the ledger.
 *
 * `AuditDecisionBuffer` implements identity's `DecisionSink`; AppModule binds the port to it, so this
 * module does not claim identity's token and identity does not import audit.
 */
@Module({
  providers: [AuditLedger, AuditDecisionBuffer, AuditRetention],
  exports: [AuditLedger, AuditDecisionBuffer],
})
export class AuditModule {}
