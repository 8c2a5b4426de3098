import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  type GrpcObject,
  loadPackageDefinition,
  Server,
  ServerCredentials,
  type ServiceClientConstructor,
  type ServerUnaryCall,
  type sendUnaryData,
  status as grpcStatus,
} from '@grpc/grpc-js';
import { loadSync, type Options } from '@grpc/proto-loader';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { requestIdFrom } from '../../common/http/request-id';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import type { EdgeConfig } from '../../config/edge-config';
import { type EdgeRequest, fromCheckRequest, InvalidCheckRequest } from '../check-request';
import { type EdgeDecision, EdgeAuthorizer, edgeUnavailable, invalidCheckRequest } from '../edge-authorizer';
import { EDGE_CONFIG } from '../edge-config.token';
import { EdgeDecisions } from '../edge-decisions';
import { denyBody } from '../http/edge-http-routes';

/** The vendored subset of Envoy's v3 API (proto/envoy-ext-authz/VERSION says which). */
export const EXT_AUTHZ_PROTO = 'envoy/service/auth/v3/external_auth.proto';

/** proto-loader options shared by the server and the clients built from the same files. */
export const PROTO_OPTIONS: Options = { keepCase: true, longs: String, defaults: false, oneofs: true };

/** `proto/envoy-ext-authz`, found upwards from this file (src/… under ts-jest, dist/src/… when built). */
export function protoRoot(): string {
  let folder = __dirname;
  for (;;) {
    const candidate = join(folder, 'proto', 'envoy-ext-authz');
    if (existsSync(join(candidate, EXT_AUTHZ_PROTO))) return candidate;
    const parent = dirname(folder);
    if (parent === folder) throw new Error('proto/envoy-ext-authz not found');
    folder = parent;
  }
}

/** The `envoy.service.auth.v3.Authorization` service, loaded from the vendored protos. */
export function authorizationService(): ServiceClientConstructor {
  const definition = loadSync(EXT_AUTHZ_PROTO, { ...PROTO_OPTIONS, includeDirs: [protoRoot()] });
  const root = loadPackageDefinition(definition);
  const v3 = (((root.envoy as GrpcObject).service as GrpcObject).auth as GrpcObject).v3 as GrpcObject;
  return v3.Authorization as ServiceClientConstructor;
}

/** google.rpc.Code of a deny, by its HTTP status: 401 unauthenticated, 503 unavailable, else denied. */
function rpcCodeOf(status: 400 | 401 | 403 | 503): number {
  if (status === 401) return grpcStatus.UNAUTHENTICATED;
  if (status === 503) return grpcStatus.UNAVAILABLE;
  return grpcStatus.PERMISSION_DENIED;
}

const header = (key: string, value: string) => ({ header: { key, value }, append: { value: false } });

/** A `CheckResponse`: OK with the identity headers (overwriting) and headers to remove, or a denial. */
export function checkResponseOf(decision: EdgeDecision, requestId: string): Record<string, unknown> {
  if (decision.allowed) {
    return {
      status: { code: grpcStatus.OK },
      ok_response: {
        headers: decision.set.map(([key, value]) => header(key, value)),
        headers_to_remove: [...decision.remove],
      },
    };
  }
  const headers = [header('content-type', 'application/json'), header('cache-control', 'no-store')];
  if (decision.challenge !== undefined) headers.push(header('www-authenticate', decision.challenge));
  return {
    status: { code: rpcCodeOf(decision.status), message: decision.reason },
    denied_response: {
      status: { code: decision.status },
      headers,
      body: JSON.stringify(denyBody(decision, requestId)),
    },
  };
}

/**
 * `envoy.service.auth.v3.Authorization/Check` over gRPC (@grpc/grpc-js) on TENANT_ROUTER_GRPC_PORT,
 * answering from the same decision as the HTTP forms. A check that cannot be read is denied
 * (`invalid_check_request`); a failure inside is a deny with UNAVAILABLE, never an OK, so Envoy's
 * `failure_mode_allow: false` keeps failing closed.
 */
@Injectable()
export class EdgeGrpcServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('edge');
  private server?: Server;

  constructor(
    @Inject(APP_CONFIG) private readonly appConfig: AppConfig,
    @Inject(EDGE_CONFIG) private readonly config: EdgeConfig,
    private readonly authorizer: EdgeAuthorizer,
    private readonly decisions: EdgeDecisions,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.grpcPort === 0) return;
    const server = new Server();
    server.addService(authorizationService().service, {
      Check: (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => {
        void this.check(call).then(
          (response) => callback(null, response),
          (error: unknown) => {
            this.logger.error({ event: 'edge_grpc_check_failed', err: error });
            callback(null, checkResponseOf(edgeUnavailable(), 'unknown'));
          },
        );
      },
    });
    const address = `${this.appConfig.http.host.includes(':') ? `[${this.appConfig.http.host}]` : this.appConfig.http.host}:${this.config.grpcPort}`;
    await new Promise<void>((resolve, reject) =>
      server.bindAsync(address, ServerCredentials.createInsecure(), (error) =>
        error ? reject(error) : resolve(),
      ),
    );
    this.server = server;
    this.logger.log({ event: 'edge_grpc_listening', address });
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await new Promise<void>((resolve) => {
      // In-flight checks get a moment to finish; then the server is closed regardless.
      const timer = setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, 1000);
      server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private async check(call: ServerUnaryCall<unknown, unknown>): Promise<Record<string, unknown>> {
    const requestId = requestIdFrom(call.metadata.get('x-request-id')[0]);
    let request: EdgeRequest;
    try {
      request = fromCheckRequest(call.request);
    } catch (error) {
      const decision = invalidCheckRequest();
      if (!(error instanceof InvalidCheckRequest))
        this.logger.warn({ event: 'edge_grpc_unreadable', err: error });
      this.decisions.record(decision, undefined, 'grpc', requestId);
      return checkResponseOf(decision, requestId);
    }
    const decision = await this.authorizer.decide(request);
    this.decisions.record(decision, request, 'grpc', requestId);
    return checkResponseOf(decision, requestId);
  }
}
