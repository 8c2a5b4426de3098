export interface WaitOptions {
  /** How long the condition may take before the test fails. */
  timeoutMs?: number;
  /** Pause between two checks. */
  intervalMs?: number;
  /** What is awaited, for the failure message (e.g. "the decision row"). */
  what?: string;
}

const tick = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Checks `condition` until it returns a truthy value and returns that value; fails after `timeoutMs`
 * naming what it waited for and the last error the condition threw. Tests wait on the state they
 * need, never a fixed time that is too long on a quiet machine and too short on a busy one.
 */
export async function waitFor<T>(
  condition: () => T | Promise<T>,
  { timeoutMs = 5000, intervalMs = 25, what = 'condition' }: WaitOptions = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await condition();
      if (value) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const cause = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`${what} not met within ${timeoutMs} ms${cause}`);
    }
    await tick(intervalMs);
  }
}

/**
 * Resolves once the wall clock reaches `epochSeconds` (a token's `exp`): for behaviour that depends on
 * time itself having passed, waiting exactly as long as needed instead of a rounded-up sleep.
 */
export async function clockReaches(epochSeconds: number): Promise<void> {
  await waitFor(() => Date.now() >= epochSeconds * 1000, {
    timeoutMs: Math.max(0, epochSeconds * 1000 - Date.now()) + 1000,
    intervalMs: 10,
    what: `the clock reaching ${epochSeconds}`,
  });
}

/**
 * Lets `ms` pass. Only for proving that something does NOT happen (a fetch, a flush, a stale answer),
 * which no condition can signal; every caller says in a comment why its bound is enough.
 */
export function quietPeriod(ms: number): Promise<void> {
  return tick(ms);
}
