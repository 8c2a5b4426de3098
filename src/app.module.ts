import { type DynamicModule, Module, type Type } from '@nestjs/common';
import type { Logger } from 'pino';
import { AuditModule } from './audit/audit.module';
import { AuditReadModule } from './audit-read/audit-read.module';
import type { AppConfig } from './config/app-config';
import { CoreModule } from './core/core.module';
import type { DatabaseHandle } from './database/database';
import { IdentityModule } from './identity/identity.module';
import { InternalModule } from './internal/internal.module';
import { JobsModule } from './jobs/jobs.module';
import { McpModule } from './mcp/mcp.module';
import { createLogger, loggingModule } from './observability/logging';
import { OperationsModule } from './operations/operations.module';
import { TenancyModule } from './tenancy/tenancy.module';

@Module({})
export class AppModule {
  /** The whole service, for one validated configuration and one open database. Tests use the same call. */
  static forRoot(
    config: AppConfig,
    database: DatabaseHandle,
    extra: readonly Type[] = [],
    logger: Logger = createLogger(config),
  ): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ...extra,
        CoreModule.forRoot(config, database),
        loggingModule(logger),
        JobsModule.forRoot(config),
        IdentityModule.forRoot(config),
        AuditModule,
        TenancyModule,
        AuditReadModule,
        McpModule,
        InternalModule,
        OperationsModule,
      ],
    };
  }
}
