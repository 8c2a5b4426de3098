import { createServer, type Server } from 'node:http';

export interface CellEntry {
  id: string;
  tier: string;
  region?: string;
  state: string;
  annotations?: Record<string, string>;
}

/**
 * A loopback control plane serving `GET /manage/cells` as the runbook shows it (`{ data: [cells] }`).
 * Tests change `cells`, or take it down (`down = true` answers 503), and watch the edge follow.
 */
export class TestControlPlane {
  cells: CellEntry[] = [];
  /** When true, the cells list answers 503 (an outage). */
  down = false;
  polls = 0;

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(cells: CellEntry[] = []): Promise<TestControlPlane> {
    const holder: { plane?: TestControlPlane } = {};
    const server = createServer((request, response) => {
      const plane = holder.plane;
      if (!plane || request.url !== '/manage/cells') {
        response.writeHead(404).end();
        return;
      }
      plane.polls += 1;
      if (plane.down) {
        response.writeHead(503, { 'content-type': 'text/plain' }).end('unavailable');
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ data: plane.cells }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    holder.plane = new TestControlPlane(server, `http://127.0.0.1:${port}`);
    holder.plane.cells = cells;
    return holder.plane;
  }

  get cellsUrl(): string {
    return `${this.url}/manage/cells`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
