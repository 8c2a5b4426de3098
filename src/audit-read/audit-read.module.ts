import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { TenancyModule } from '../tenancy/tenancy.module';
import { AuditController } from './audit.controller';
import { AuditReadService } from './audit-read.service';
import { AuditReader } from './audit-reader';

/**
 * Reading the ledger under /audit (docs/audit-ledger.md). It sits above both modules it uses: the
 * ledger it reads (`AuditModule`) and `@OrgScoped` (`TenancyModule`), which itself writes through the
 * ledger, so neither of those has to know about the other's reader.
 */
@Module({
  imports: [AuditModule, TenancyModule],
  controllers: [AuditController],
  providers: [AuditReader, AuditReadService],
})
export class AuditReadModule {}
