import { createHash } from 'node:crypto';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import type { Counter } from 'prom-client';
import type { EdgeConfig } from '../../config/edge-config';
import { MetricsService } from '../../observability/metrics.service';
import { EDGE_CONFIG } from '../edge-config.token';

/** One cell as the control plane lists it. */
export interface Cell {
  readonly id: string;
  readonly tier: string;
  readonly region: string;
  readonly state: string;
  readonly annotations: Readonly<Record<string, string>>;
}

export interface CellsStatus {
  /** Active cells the edge can route to. */
  readonly cells: number;
  /** No successful poll for longer than REGISTRY_STALENESS_WARN_SECONDS (routing continues). */
  readonly stale: boolean;
  readonly source: 'registry' | 'pinned';
  readonly lastSuccessAt?: string;
  readonly lastError?: string;
}

/** A control plane's answer larger than this is refused as garbage. */
const MAX_REGISTRY_BYTES = 1024 * 1024;
const FETCH_TIMEOUT_MS = 5000;
/** The tier a pinned single cell serves: every tier, since no registry says otherwise. */
const ANY_TIER = '*';
const CELL_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/**
 * The cells the edge routes to, from the control plane (`$CP/manage/cells`, polled every
 * CELLS_POLL_SECONDS) or, on a single-cell edge, the one pinned cell. A failed poll (control plane down,
 * a 500, garbage) keeps the last good list serving and shows as `registry_stale` in /readyz once it is
 * older than REGISTRY_STALENESS_WARN_SECONDS. Placement is rendezvous hashing of the tenant over the
 * active cells of its tier: the same tenant lands on the same cell while that set of cells is unchanged,
 * and a cell leaving moves only its own tenants.
 */
@Injectable()
export class CellsRegistry implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('edge');
  private readonly polls: Counter<'outcome'>;
  private cells: readonly Cell[] = [];
  private activeByTier = new Map<string, readonly Cell[]>();
  private readonly placements = new LRUCache<string, Cell>({ max: 50_000 });
  private lastSuccessAt?: number;
  private lastError?: string;
  private timer?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    @Inject(EDGE_CONFIG) private readonly config: EdgeConfig,
    metrics: MetricsService,
  ) {
    this.polls = metrics.counter(
      'alphaswarm_tenant_router_registry_polls_total',
      'Polls of the cells registry by outcome',
      ['outcome'],
    );
    const pinned = config.cba.destinationCellId;
    if (config.cells.url === undefined && pinned !== undefined) {
      this.adopt([{ id: pinned, tier: ANY_TIER, region: '', state: 'active', annotations: {} }]);
    }
  }

  onApplicationBootstrap(): void {
    if (this.config.cells.url === undefined) return;
    const poll = async (): Promise<void> => {
      await this.refresh();
      if (this.stopped) return;
      this.timer = setTimeout(() => void poll(), this.config.cells.pollSeconds * 1000);
      this.timer.unref();
    };
    void poll();
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** The cell of `tenant` within `tier`; undefined when no active cell serves that tier. */
  cellFor(tenant: string, tier: string): Cell | undefined {
    const key = `${tier}\u0000${tenant}`;
    const placed = this.placements.get(key);
    if (placed) return placed;
    // Only the pinned cell of a single-cell edge serves every tier: a control plane listing a cell under
    // the tier `*` names a tier like any other, not a catch-all that would downgrade an explicit tier.
    const candidates =
      this.activeByTier.get(tier) ??
      (this.config.cells.url === undefined ? this.activeByTier.get(ANY_TIER) : undefined);
    if (!candidates || candidates.length === 0) return undefined;
    let best: Cell | undefined;
    let bestScore = '';
    for (const cell of candidates) {
      const score = createHash('sha256').update(`${cell.id}\u0000${tenant}`).digest('hex');
      if (best === undefined || score > bestScore) {
        best = cell;
        bestScore = score;
      }
    }
    if (best !== undefined) this.placements.set(key, best);
    return best;
  }

  /** Any listed cell (active or not) by id: CBA source cells are looked up here. */
  cell(id: string): Cell | undefined {
    return this.cells.find((cell) => cell.id === id);
  }

  status(): CellsStatus {
    const pinned = this.config.cells.url === undefined;
    const age = this.lastSuccessAt === undefined ? Infinity : (Date.now() - this.lastSuccessAt) / 1000;
    return {
      cells: [...this.activeByTier.values()].reduce((sum, cells) => sum + cells.length, 0),
      stale: !pinned && age > this.config.cells.staleAfterSeconds,
      source: pinned ? 'pinned' : 'registry',
      lastSuccessAt:
        this.lastSuccessAt === undefined ? undefined : new Date(this.lastSuccessAt).toISOString(),
      lastError: this.lastError,
    };
  }

  /** One poll; resolves whether or not it worked (a failure keeps the last good list). */
  async refresh(): Promise<void> {
    const url = this.config.cells.url;
    if (url === undefined) return;
    try {
      const cells = await download(url);
      this.adopt(cells);
      this.lastSuccessAt = Date.now();
      this.lastError = undefined;
      this.polls.inc({ outcome: 'ok' });
    } catch (error) {
      this.lastError = error instanceof Error ? error.message : String(error);
      this.polls.inc({ outcome: 'error' });
      this.logger.warn({
        event: 'cells_registry_poll_failed',
        error: this.lastError,
        serving: `${this.cells.length} last-known-good cells`,
      });
    }
  }

  private adopt(cells: readonly Cell[]): void {
    const active = new Map<string, Cell[]>();
    for (const cell of cells) {
      if (cell.state !== 'active') continue;
      const tier = active.get(cell.tier) ?? [];
      tier.push(cell);
      active.set(cell.tier, tier);
    }
    this.cells = cells;
    this.activeByTier = active;
    this.placements.clear();
  }
}

async function download(url: string): Promise<Cell[]> {
  const response = await fetch(url, {
    headers: { accept: 'application/json' },
    redirect: 'error',
    signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
  });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  const text = await response.text();
  if (text.length > MAX_REGISTRY_BYTES) throw new Error('the cells list is too large');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error('the response is not JSON');
  }
  const data = (body as { data?: unknown } | null)?.data;
  if (!Array.isArray(data)) throw new Error('the response has no data array');
  return data.map(cellOf).filter((cell): cell is Cell => cell !== undefined);
}

/** One listed cell, or undefined when the entry is unusable (it is skipped, not fatal). */
function cellOf(entry: unknown): Cell | undefined {
  if (typeof entry !== 'object' || entry === null) return undefined;
  const { id, tier, region, state, annotations } = entry as Record<string, unknown>;
  if (typeof id !== 'string' || !CELL_ID.test(id) || typeof tier !== 'string' || tier === '')
    return undefined;
  const strings: Record<string, string> = {};
  if (typeof annotations === 'object' && annotations !== null) {
    for (const [key, value] of Object.entries(annotations))
      if (typeof value === 'string') strings[key] = value;
  }
  return Object.freeze({
    id,
    tier,
    region: typeof region === 'string' ? region : '',
    state: typeof state === 'string' ? state : 'unknown',
    annotations: Object.freeze(strings),
  });
}
