import { Module } from '@nestjs/common';
import { OperationsController } from './operations.controller';
import { ReadinessService } from './readiness.service';

@Module({
  controllers: [OperationsController],
  providers: [ReadinessService],
})
export class OperationsModule {}
