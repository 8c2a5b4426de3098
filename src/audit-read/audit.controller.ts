import { Controller, Get, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { AlwaysStrict } from '../identity/authentication/route-access.decorators';
import type { AuthenticatedRequest } from '../identity/request-context';
import { RequireScope } from '../identity/scope/require-scope.decorator';
import { StepUp } from '../identity/step-up/step-up.decorator';
import type { OrgAccess } from '../tenancy/org-scope/org-access';
import { CurrentOrg, OrgScoped } from '../tenancy/org-scope/org-scoped.decorator';
import type { VerifyReport } from '../audit/ledger/audit-verifier';
import { AuditReadService, type AuditEventsPage } from './audit-read.service';
import { AuditEventFilterQuery, ListAuditEventsQuery } from './audit-query.dto';

const ORG_HEADER = {
  name: 'X-AlphaSwarm-Org',
  required: false,
  description: "The organization; defaults to the token's org claim",
};

/**
 * Reading the ledger (docs/audit-ledger.md). An organization's admins and owners read, export and verify its events
 * (`@OrgScoped({ minRole: 'admin' })`: the organization comes from the `X-AlphaSwarm-Org` header, else
 * the token's org claim; `admin:cluster` passes). Operators verify every chain at `/audit/verify/all`.
 * None of these routes serves anonymous callers, even under permissive mode.
 */
@ApiTags('audit')
@ApiBearerAuth()
@ApiHeader(ORG_HEADER)
@Controller('audit')
export class AuditController {
  constructor(private readonly audit: AuditReadService) {}

  /** A page of events, newest first unless `order=asc`; `next_cursor` fetches the next one. */
  @OrgScoped({ minRole: 'admin' })
  @Get('events')
  list(
    @CurrentOrg() org: OrgAccess,
    @Req() request: AuthenticatedRequest,
    @Query() query: ListAuditEventsQuery,
  ): Promise<AuditEventsPage> {
    return this.audit.list(org.orgId, request, query);
  }

  /** Every matching event as NDJSON, streamed. Exporting the ledger demands a recent MFA. */
  @OrgScoped({ minRole: 'admin' })
  @StepUp()
  @Get('events/export')
  @ApiProduces('application/x-ndjson')
  async export(
    @CurrentOrg() org: OrgAccess,
    @Req() request: AuthenticatedRequest,
    @Query() query: AuditEventFilterQuery,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const stream = await this.audit.export(org.orgId, request, query);
    await reply
      .header('content-type', 'application/x-ndjson; charset=utf-8')
      .header('cache-control', 'no-store')
      .send(stream);
  }

  /** Re-computes the organization's hash chain: `ok`, or the first broken row and why. */
  @OrgScoped({ minRole: 'admin' })
  @Get('verify')
  verify(@CurrentOrg() org: OrgAccess): Promise<VerifyReport> {
    return this.audit.verify({ orgId: org.orgId });
  }

  /** Every chain, events without an organization included: what `npm run audit:verify` reports. */
  @RequireScope('admin:cluster')
  @AlwaysStrict()
  @Get('verify/all')
  verifyAll(): Promise<VerifyReport> {
    return this.audit.verify('all');
  }
}
