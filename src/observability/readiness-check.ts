/**
 * A part of the service that has its own say in /readyz (e.g. the edge check: its issuer's keys, its
 * cells). Modules of the outer ring cannot import each other, so the operations module reads these
 * through this port, which the module that owns the part binds (docs/architecture.md, "Ports").
 */
export interface ReadinessCheck {
  /** The name under `checks` and, when not ready, in `not_ready`. */
  readonly name: string;
  report(): ReadinessReport;
}

export interface ReadinessReport {
  readonly ready: boolean;
  /** Shown under `checks.<name>`. */
  readonly details: Readonly<Record<string, unknown>>;
  /** Shown at the top level of the /readyz body (the runbook reads `auth_mode`, `cells`, … there). */
  readonly summary?: Readonly<Record<string, unknown>>;
}

/** Optional provider: the list of readiness checks of the mounted features. */
export const READINESS_CHECKS = Symbol('READINESS_CHECKS');
