import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import type { LabelValues } from 'prom-client';
import type { EdgeConfig } from '../config/edge-config';
import { DECISION_SINK, type DecisionKind, type DecisionSink } from '../identity/decisions/decision-sink';
import { HotCounter } from '../observability/hot-counter';
import { MetricsService } from '../observability/metrics.service';
import type { EdgeRequest } from './check-request';
import type { EdgeDecision } from './edge-authorizer';
import { EDGE_CONFIG } from './edge-config.token';

type Label = 'decision' | 'mode' | 'reason';
type Decision = 'allow' | 'deny' | 'would_deny';

/** Which door a check came through: it is the `route` of the decision's audit row. */
export type EdgeTransport = 'json' | 'http' | 'grpc';

/**
 * Counts, logs and audits every edge decision: `alphaswarm_tenant_router_authz_decisions_total
 * {decision,mode,reason}` as in the runbook, a structured `authz_deny` log line per deny, and denies and
 * would-be denies (an anonymous request passed in permissive mode) through identity's `DECISION_SINK`,
 * the audit ledger's buffer, so the request path never waits on the database.
 */
@Injectable()
export class EdgeDecisions {
  private readonly logger = new Logger('edge');
  /** One counter per outcome, its series by reason, counted as plain numbers (see HotCounter). */
  private readonly counts: Record<Decision, HotCounter<Label>> = {
    allow: new HotCounter(),
    deny: new HotCounter(),
    would_deny: new HotCounter(),
  };
  private readonly labelsOf: Record<Decision, (reason: string) => LabelValues<Label>> = {
    allow: (reason) => ({ decision: 'allow', mode: this.config.mode, reason }),
    deny: (reason) => ({ decision: 'deny', mode: this.config.mode, reason }),
    would_deny: (reason) => ({ decision: 'would_deny', mode: this.config.mode, reason }),
  };
  private readonly routes: Record<EdgeTransport, string>;

  constructor(
    @Inject(EDGE_CONFIG) private readonly config: EdgeConfig,
    metrics: MetricsService,
    @Optional() @Inject(DECISION_SINK) private readonly sink?: DecisionSink,
  ) {
    metrics.counter(
      'alphaswarm_tenant_router_authz_decisions_total',
      'Edge authorization decisions by outcome, auth mode and reason',
      ['decision', 'mode', 'reason'],
      Object.values(this.counts),
    );
    this.routes = {
      json: '/ext_authz/v3/check',
      http: `${config.httpPathPrefix}/*`,
      grpc: '/envoy.service.auth.v3.Authorization/Check',
    };
  }

  record(
    decision: EdgeDecision,
    request: EdgeRequest | undefined,
    transport: EdgeTransport,
    requestId: string,
  ): void {
    if (decision.allowed) {
      this.count('allow', decision.reason);
      if (decision.reason === 'anonymous') {
        this.count('would_deny', 'missing_token');
        this.audit('would_deny', 'missing_token', decision, request, transport, requestId);
      }
      // CBA_MODE=monitor: counted by the CBA verifier, kept in the ledger like any would-be deny.
      if (decision.cbaWouldDeny !== undefined) {
        this.audit('would_deny', decision.cbaWouldDeny, decision, request, transport, requestId);
      }
      return;
    }
    this.count('deny', decision.reason);
    this.logger.log({
      event: 'authz_deny',
      reason: decision.reason,
      status: decision.status,
      transport,
      method: request?.method,
      request_id: requestId,
    });
    this.audit('deny', decision.reason, decision, request, transport, requestId);
  }

  private count(decision: Decision, reason: string): void {
    this.counts[decision].series(reason, this.labelsOf[decision]).count += 1;
  }

  private audit(
    kind: DecisionKind,
    reason: string,
    decision: EdgeDecision,
    request: EdgeRequest | undefined,
    transport: EdgeTransport,
    requestId: string,
  ): void {
    this.sink?.record({
      kind,
      reason,
      at: Date.now(),
      route: this.routes[transport],
      method: request?.method || 'CHECK',
      requestId,
      ip: request?.sourceIp ?? '',
      principal: decision.principal ?? null,
    });
  }
}
