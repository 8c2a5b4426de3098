/** Where the ledger reads the time (event timestamps, the retention cut-off). */
export interface AuditClock {
  now(): Date;
}

/**
 * Optional provider: without one the ledger uses the system clock. Tests mount a global module that
 * provides it, to write "old" events and run the retention purge without waiting a year.
 */
export const AUDIT_CLOCK = Symbol('AUDIT_CLOCK');

export const SYSTEM_CLOCK: AuditClock = { now: () => new Date() };
