import 'reflect-metadata';
import { floorPort, startFloor } from '../floor/server';
import { startBenchService } from '../server';

/**
 * (w): the floor app (x), unchanged, served by a process that also runs the whole service (bench/server.ts
 * on its own port, idle while (w) is measured: its database pool, Redis connections, queues, caches, edge
 * gRPC server and every module loaded). (w)/(z) is what the floor's own code costs once it shares a
 * process with everything the service is made of: the V8 heap those parts keep, and the Node internals
 * (streams, event emitters, sockets) they share with the request path, which V8 then optimises for many
 * shapes instead of one. The service's request path cannot run cheaper than the floor's in that process,
 * so (w)/(z) is as high as (a)/(z) can go on the machine, and (a)/(w) is what the service's own request
 * path adds.
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
