import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { RequestError } from '../../common/errors/request-error';
import { RawTextBody } from '../../common/http/raw-text-body';
import { type IngestReport, LogStreamIngestion } from './log-stream-ingestion';
import { LogStreamSecret } from './log-stream-secret.guard';

/**
 * Bytes a batch may take: room for thousands of events (Auth0's run from a few hundred bytes to a few
 * KiB each); the service's usual limit is 1 MiB.
 */
export const LOG_STREAM_BODY_LIMIT = 32 * 1024 * 1024;

/** Auth0's Custom Webhook log stream (docs/revocation.md). */
@Controller('_internal/auth0')
export class LogStreamController {
  constructor(private readonly ingestion: LogStreamIngestion) {}

  @LogStreamSecret()
  @RawTextBody(LOG_STREAM_BODY_LIMIT)
  @HttpCode(200)
  @Post('log-stream')
  ingest(@Body() body: unknown): Promise<IngestReport> {
    if (typeof body !== 'string') {
      throw new RequestError(
        'unsupported_media_type',
        415,
        'Send the batch as application/json (an array, an object or JSON lines) or application/x-ndjson',
      );
    }
    return this.ingestion.ingest(body);
  }
}
