import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Registry } from 'prom-client';
import type { HotCounter } from './hot-counter';

/**
 * The app's own Prometheus registry (not prom-client's global one: several app instances run in one
 * test process and must not share counters). Modules create their metrics against `registry`.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /** `hot`: counts kept by the hot path as plain numbers, added to the counter at every scrape. */
  counter<L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    hot: readonly HotCounter<L>[] = [],
  ): Counter<L> {
    return new Counter({
      name,
      help,
      labelNames,
      registers: [this.registry],
      ...(hot.length > 0
        ? {
            collect(this: Counter<L>) {
              for (const counter of hot) counter.flushInto(this);
            },
          }
        : {}),
    });
  }
}
