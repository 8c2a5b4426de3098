import { Server, ServerCredentials, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import { authorizationService } from '../../src/edge/grpc/edge-grpc-server';

/**
 * The ceiling of the gRPC check: an `envoy.service.auth.v3.Authorization` server on the same stack
 * (grpc-js, the same vendored protos) whose Check answers OK with one header and does nothing else.
 * The service's gRPC check against this is what its decision costs.
 */
async function main(): Promise<void> {
  const port = Number.parseInt(process.env.CEILING_PORT ?? '', 10);
  if (!Number.isInteger(port) || port <= 0) throw new Error('CEILING_PORT is required');
  const server = new Server();
  const ok = {
    status: { code: 0 },
    ok_response: {
      headers: [{ header: { key: 'x-alphaswarm-auth', value: 'verified' }, append: { value: false } }],
    },
  };
  server.addService(authorizationService().service, {
    Check: (_call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => callback(null, ok),
  });
  await new Promise<void>((resolve, reject) =>
    server.bindAsync(`127.0.0.1:${port}`, ServerCredentials.createInsecure(), (error) =>
      error ? reject(error) : resolve(),
    ),
  );
  // The orchestrator waits for this line.
  process.stdout.write(`grpc ceiling listening on ${port}\n`);
  process.once('SIGTERM', () => server.tryShutdown(() => process.exit(0)));
}

main().catch((error: unknown) => {
  process.stderr.write(`grpc ceiling: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
