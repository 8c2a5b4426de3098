import { Inject, Injectable, Optional } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { Counter } from 'prom-client';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { HotCounter } from '../../observability/hot-counter';
import { MetricsService } from '../../observability/metrics.service';
import type { AuthReason } from '../errors/reason-codes';
import { type AuthenticatedRequest, routeTemplateOf } from '../request-context';
import { DECISION_SINK, type DecisionEvent, type DecisionKind, type DecisionSink } from './decision-sink';

type DecisionLabel = 'decision' | 'mode' | 'reason' | 'route';

export type Decision = 'allow' | 'deny' | 'would_deny';

/**
 * Counts and logs every authorization decision: `alphaswarm_authz_decisions_total{decision,mode,reason,route}`.
 * Under permissive mode an anonymous request counts twice: once `allow/anonymous` (it was served) and
 * once `would_deny/<reason>` (strict mode would have refused it). The rollout is done when the second
 * stays at zero. Denies, would-be denies and passed step-ups also go to the `DECISION_SINK` (the audit
 * ledger's buffer), when there is one.
 */
@Injectable()
export class AuthDecisions {
  private readonly decisions: Counter<DecisionLabel>;
  private readonly mode: string;
  /** The `allow` series by route, one counter per reason, counted as plain numbers (see HotCounter). */
  private readonly allowedVerified = new HotCounter<DecisionLabel>();
  private readonly allowedAnonymous = new HotCounter<DecisionLabel>();
  private readonly verifiedLabels = (route: string) =>
    ({ decision: 'allow', mode: this.mode, reason: 'verified', route }) as const;
  private readonly anonymousLabels = (route: string) =>
    ({ decision: 'allow', mode: this.mode, reason: 'anonymous', route }) as const;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    metrics: MetricsService,
    @Optional() @Inject(DECISION_SINK) private readonly sink?: DecisionSink,
  ) {
    this.mode = config.auth.enforce;
    this.decisions = metrics.counter(
      'alphaswarm_authz_decisions_total',
      'Authorization decisions by outcome, enforce mode, reason and route template',
      ['decision', 'mode', 'reason', 'route'],
      [this.allowedVerified, this.allowedAnonymous],
    );
  }

  /**
   * Counts the `allow` of a request that authenticated and was not refused: called when the response is
   * sent (a Fastify onResponse hook), which is cheaper on the hot path than an interceptor and still
   * certain that every guard passed. A handler's own error after that (404, 409) is still an allow.
   */
  settle(request: FastifyRequest): void {
    const marked = request as AuthenticatedRequest;
    if (!marked.principal || marked.authzCounted) return;
    marked.authzCounted = true;
    const route = routeTemplateOf(request);
    const series =
      marked.principal.actorType === 'anonymous'
        ? this.allowedAnonymous.series(route, this.anonymousLabels)
        : this.allowedVerified.series(route, this.verifiedLabels);
    series.count += 1;
  }

  deny(request: FastifyRequest, reason: AuthReason): void {
    (request as AuthenticatedRequest).authzCounted = true;
    const route = routeTemplateOf(request);
    this.decisions.inc({ decision: 'deny', mode: this.mode, reason, route });
    request.log.info({ event: 'authz_deny', reason, route, method: request.method });
    this.sink?.record(this.eventOf('deny', request, route, reason));
  }

  wouldDeny(request: FastifyRequest, reason: AuthReason): void {
    const route = routeTemplateOf(request);
    this.decisions.inc({ decision: 'would_deny', mode: this.mode, reason, route });
    request.log.warn({ event: 'authz_would_deny', reason, route, method: request.method });
    this.sink?.record(this.eventOf('would_deny', request, route, reason));
  }

  /** A `@StepUp` route accepted the caller's recent MFA. */
  stepUpPassed(request: FastifyRequest): void {
    this.sink?.record(this.eventOf('step_up_passed', request, routeTemplateOf(request), null));
  }

  private eventOf(
    kind: DecisionKind,
    request: FastifyRequest,
    route: string,
    reason: AuthReason | null,
  ): DecisionEvent {
    return {
      kind,
      reason,
      at: Date.now(),
      route,
      method: request.method,
      requestId: String(request.id),
      ip: request.ip,
      principal: (request as AuthenticatedRequest).principal ?? null,
    };
  }
}
