import { Module } from '@nestjs/common';

/** The security audit ledger: arrives with the audit issue. */
@Module({})
export class AuditModule {}
