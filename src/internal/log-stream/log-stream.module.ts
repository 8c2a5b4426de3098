import { Module } from '@nestjs/common';
import { RevocationModule } from '../revocation/revocation.module';
import { LogStreamController } from './log-stream.controller';
import { LogStreamIngestion } from './log-stream-ingestion';
import { LogStreamSecretGuard } from './log-stream-secret.guard';

/** `POST /_internal/auth0/log-stream`: Auth0's log events in, `cleanup_for_user` jobs out. */
@Module({
  imports: [RevocationModule],
  controllers: [LogStreamController],
  providers: [LogStreamIngestion, LogStreamSecretGuard],
})
export class LogStreamModule {}
