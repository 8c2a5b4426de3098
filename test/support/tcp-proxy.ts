import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * A TCP relay in front of a real service, which a test can cut and restore: the way to take Redis
 * "down" for one app instance without stopping the Redis every other test shares.
 */
export class TcpProxy {
  private server: Server | null = null;
  /** Connections from clients, relayed or waiting to be. */
  private readonly clients = new Set<Socket>();
  /** Their connections to the target. */
  private readonly upstreams = new Set<Socket>();
  /** Holds each new connection this long before relaying it: a service that is slow to answer. */
  connectDelayMs = 0;

  private constructor(
    readonly port: number,
    private readonly target: { host: string; port: number },
  ) {}

  static async start(target: { host: string; port: number }): Promise<TcpProxy> {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const address = probe.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const proxy = new TcpProxy(port, target);
    await proxy.up();
    return proxy;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async up(): Promise<void> {
    const server = createServer((client) => {
      this.clients.add(client);
      client.on('close', () => this.clients.delete(client));
      client.on('error', () => client.destroy());
      // Until relayed, the client's bytes wait in its socket (no reader yet).
      const relay = (): void => {
        if (client.destroyed) return;
        const upstream = connect(this.target);
        this.upstreams.add(upstream);
        upstream.on('close', () => this.upstreams.delete(upstream));
        upstream.on('error', () => upstream.destroy());
        client.pipe(upstream).pipe(client);
        client.on('close', () => upstream.destroy());
        upstream.on('close', () => client.destroy());
      };
      if (this.connectDelayMs > 0) setTimeout(relay, this.connectDelayMs);
      else relay();
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.server = server;
  }

  /** Connections from clients still open. */
  get openConnections(): number {
    return this.clients.size;
  }

  /** Refuses new connections and drops every open one. */
  async down(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const socket of [...this.clients, ...this.upstreams]) socket.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
