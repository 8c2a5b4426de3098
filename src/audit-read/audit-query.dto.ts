import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsISO8601, IsOptional, IsString, Length, Matches, Max, Min } from 'class-validator';
import { AUDIT_OUTCOMES, type AuditOutcome, EVENT_TYPE, EVENT_TYPE_MAX } from '../audit/ledger/audit-event';

/**
 * Filters shared by the list and the export. Every filter narrows; none widens past the organization,
 * which `@OrgScoped` decides (X-AlphaSwarm-Org header, else the token's org claim).
 */
export class AuditEventFilterQuery {
  @ApiPropertyOptional({ example: 'authz_decision' })
  @IsOptional()
  @Length(1, EVENT_TYPE_MAX, { message: `event_type must be 1-${EVENT_TYPE_MAX} characters` })
  @Matches(EVENT_TYPE, { message: 'event_type must be snake_case words joined by . or :' })
  event_type?: string;

  @ApiPropertyOptional({ enum: AUDIT_OUTCOMES })
  @IsOptional()
  @IsIn(AUDIT_OUTCOMES, { message: `outcome must be one of ${AUDIT_OUTCOMES.join(', ')}` })
  outcome?: AuditOutcome;

  @ApiPropertyOptional({
    description: 'IdP subject (`sub`) of the user the events are about',
    example: 'auth0|alice',
  })
  @IsOptional()
  @IsString()
  @Length(1, 256, { message: 'user must be 1-256 characters' })
  user?: string;

  @ApiPropertyOptional({ description: 'Events at or after this instant (ISO 8601)' })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'from must be an ISO 8601 date or timestamp' })
  from?: string;

  @ApiPropertyOptional({ description: 'Events before this instant (ISO 8601)' })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'to must be an ISO 8601 date or timestamp' })
  to?: string;

  @ApiPropertyOptional({ enum: ['desc', 'asc'], description: 'desc (newest first, the default) or asc' })
  @IsOptional()
  @IsIn(['desc', 'asc'], { message: 'order must be desc or asc' })
  order?: 'desc' | 'asc';
}

export class ListAuditEventsQuery extends AuditEventFilterQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: 500, default: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'limit must be a whole number from 1 to 500' })
  @Min(1, { message: 'limit must be a whole number from 1 to 500' })
  @Max(500, { message: 'limit must be a whole number from 1 to 500' })
  limit?: number;

  @ApiPropertyOptional({ description: 'next_cursor of the previous page (opaque)' })
  @IsOptional()
  @Matches(/^[A-Za-z0-9_-]{1,256}$/, { message: 'cursor must be the next_cursor of a previous page' })
  cursor?: string;
}
