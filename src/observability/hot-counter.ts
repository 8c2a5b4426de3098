import type { Counter, LabelValues } from 'prom-client';

/** One series of a HotCounter: a plain number the hot path increments. */
export interface HotSeries {
  count: number;
}

interface Tracked<L extends string> {
  readonly labels: LabelValues<L>;
  readonly series: HotSeries;
  exported: number;
}

/**
 * Counts for a prom-client counter kept as plain numbers and handed to it when /metrics is scraped
 * (its `collect` hook). prom-client hashes the label set on every `inc`, a cost paid per request on
 * the authentication hot path; here a request pays `series.count += 1` on a series looked up once.
 */
export class HotCounter<L extends string> {
  private readonly tracked = new Map<string, Tracked<L>>();

  /**
   * The series `key` names, created with `labels(key)` on first use; increment its `count`. Pass a
   * function made once (not a closure per call): the hot path then allocates nothing.
   */
  series(key: string, labels: (key: string) => LabelValues<L>): HotSeries {
    let entry = this.tracked.get(key);
    if (!entry) {
      entry = { labels: labels(key), series: { count: 0 }, exported: 0 };
      this.tracked.set(key, entry);
    }
    return entry.series;
  }

  /** Call from the counter's `collect`: adds what was counted since the last scrape. */
  flushInto(counter: Counter<L>): void {
    for (const entry of this.tracked.values()) {
      const delta = entry.series.count - entry.exported;
      if (delta > 0) {
        counter.inc(entry.labels, delta);
        entry.exported = entry.series.count;
      }
    }
  }
}
