import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Counter } from 'prom-client';
import { AuditLedger } from '../audit/ledger/audit-ledger';
import type { AuditEventInput, AuditOutcome } from '../audit/ledger/audit-event';
import { isUuid } from '../common/uuid';
import { DELEGATION_PROFILE } from '../identity/delegation/delegation-rules';
import type { Principal } from '../identity/principal';
import { MetricsService } from '../observability/metrics.service';
import type { McpServerName } from './mcp-servers';
import type { ToolContext } from './mcp-tool';

const CAPACITY = 10_000;
const BATCH_SIZE = 500;
const FLUSH_INTERVAL_MS = 200;

/** `details.delegation` of every MCP audit row (seed 001, "Verification"). */
export function delegationOf(principal: Principal): Record<string, string | null> {
  return {
    agent_subject: principal.actor?.sub ?? null,
    on_behalf_of_user_id: principal.actor?.onBehalfOfSub ?? principal.sub,
    profile: DELEGATION_PROFILE,
  };
}

export interface InvocationRecord {
  readonly server: McpServerName;
  readonly tool: string;
  readonly transport: 'streamable_http' | 'invoke';
  readonly outcome: AuditOutcome;
  readonly reason?: string;
  /** The organization the call was about, when the tool established the human's membership in it. */
  readonly orgId?: string;
}

/**
 * Every MCP tool invocation, allowed or denied, as an `mcp.tool_invoked` ledger row. Rows are buffered
 * and written in batches, like identity's decisions: the ledger's per-organization chain lock is never
 * on a tool call's path, and a slow database delays the row, not the call. A full buffer drops and
 * counts (`alphaswarm_mcp_audit_events_dropped_total{reason="buffer_full"}`); what is buffered is
 * written at shutdown. A tool's own change (a project it creates) is recorded in the change's
 * transaction by the module that makes it.
 */
@Injectable()
export class McpInvocationAudit implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('mcp');
  private queue: AuditEventInput[] = [];
  private flushing?: Promise<void>;
  private timer?: NodeJS.Timeout;
  private readonly dropped: Counter.Internal;

  constructor(
    private readonly ledger: AuditLedger,
    metrics: MetricsService,
  ) {
    this.dropped = metrics
      .counter(
        'alphaswarm_mcp_audit_events_dropped_total',
        'MCP tool invocations not written to the audit ledger: buffer_full or write_failed',
        ['reason'],
      )
      .labels('buffer_full');
  }

  record(context: ToolContext, invocation: InvocationRecord): void {
    if (!this.ledger.enabled) return;
    if (this.queue.length >= CAPACITY) {
      this.dropped.inc();
      return;
    }
    const { principal } = context;
    // Only an organization the tool verified, or the token's own: a refused call about another
    // organization must not write into that organization's chain.
    const orgId = invocation.orgId ?? (isUuid(principal.orgId) ? principal.orgId : null);
    this.queue.push({
      eventType: 'mcp.tool_invoked',
      outcome: invocation.outcome,
      orgId,
      userId: principal.sub,
      actorUserId: principal.actor?.sub ?? null,
      reason: invocation.reason ?? null,
      route: context.route,
      ip: context.ip,
      requestId: context.requestId,
      occurredAt: new Date(),
      details: {
        server: invocation.server,
        tool: invocation.tool,
        transport: invocation.transport,
        delegation: delegationOf(principal),
      },
    });
    if (this.queue.length >= BATCH_SIZE) void this.flush();
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      if (this.queue.length > 0) void this.flush();
    }, FLUSH_INTERVAL_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
    if (this.queue.length > 0) await this.flush();
  }

  /** Writes what is buffered; concurrent callers share one run; never rejects. */
  flush(): Promise<void> {
    this.flushing ??= this.drain().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, BATCH_SIZE);
      try {
        await this.ledger.recordBatch(batch);
      } catch (error) {
        // Put the batch back once; the next tick retries it before anything newer.
        this.logger.warn({ event: 'mcp_audit_write_failed', events: batch.length, err: error });
        this.queue = [...batch, ...this.queue].slice(0, CAPACITY);
        return;
      }
    }
  }
}
