import 'reflect-metadata';
import { floorPort, startFloor } from '../floor/server';
import { startBenchService } from '../server';

/**
 * (w): the floor app (x), unchanged, served by a process that also runs the whole service (bench/server.ts
 * on its own port, idle while (w) is measured: its database pool, Redis connections, queues, caches, edge
 * gRPC server and every module loaded). (w)/(z) is what the floor's own code costs once it shares a
 * process with everything the service is made of: the heap those parts keep, and the Node internals
 * (streams, event emitters, sockets) that they and the request path run through (docs/benchmark.md says
 * what was measured of each). The service's request path does at least the floor's work in that process,
 * so (w)/(z) bounds (a)/(z) on the machine, within the rounds' noise, and (a)/(w) is what the service's
 * own request path adds.
 */
async function main(): Promise<void> {
  const port = floorPort();
  await startBenchService();
  await startFloor(port);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `floor-in-service server: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
