import type { AuthReason } from '../errors/reason-codes';
import type { Principal } from '../principal';

/** `step_up_passed`: a `@StepUp` route accepted the caller's recent MFA. */
export type DecisionKind = 'deny' | 'would_deny' | 'step_up_passed';

/** One authorization decision worth keeping, captured on the request path as plain values. */
export interface DecisionEvent {
  readonly kind: DecisionKind;
  /**
   * The reason code of a deny or would-be deny: identity's `AuthReason`, or a code of a module above
   * identity that decides on its own (the edge check's `EdgeReason`); null for a step-up that passed.
   */
  readonly reason: AuthReason | (string & NonNullable<unknown>) | null;
  /** Milliseconds since the epoch. */
  readonly at: number;
  /** The route template, never the raw path. */
  readonly route: string;
  readonly method: string;
  readonly requestId: string;
  readonly ip: string;
  /** The verified principal, or null when there is none (no token, or a token that did not verify). */
  readonly principal: Principal | null;
}

/**
 * Where identity's decisions leave it (the audit ledger implements it). `record` runs on the request
 * path, so an implementation must return at once: buffer, never await.
 */
export interface DecisionSink {
  record(event: DecisionEvent): void;
}

/** Optional provider: without one, decisions are only counted and logged. */
export const DECISION_SINK = Symbol('DECISION_SINK');
