import { Module } from '@nestjs/common';
import { IdentityModule } from '../identity/identity.module';
import { OperationsController } from './operations.controller';
import { ReadinessService } from './readiness.service';

/**
 * Health, readiness and metrics endpoints. It imports IdentityModule because readiness asks the JWKS key
 * store; the database, Redis, the job queue and the metrics registry come from the global core and jobs.
 */
@Module({
  imports: [IdentityModule],
  controllers: [OperationsController],
  providers: [ReadinessService],
})
export class OperationsModule {}
