import { type DynamicModule, Module } from '@nestjs/common';
import type { EdgeConfig } from '../config/edge-config';
import { READINESS_CHECKS } from '../observability/readiness-check';
import { CbaVerifier } from './cba/cba-verifier';
import { CellsRegistry } from './cells/cells-registry';
import { EdgeAuthorizer } from './edge-authorizer';
import { EDGE_CONFIG } from './edge-config.token';
import { EdgeDecisions } from './edge-decisions';
import { EdgeReadiness } from './edge-readiness';
import { EdgeGrpcServer } from './grpc/edge-grpc-server';
import { EdgeHttpRoutes } from './http/edge-http-routes';

/**
 * The edge check for the tenant router (docs/edge.md): one decision (`EdgeAuthorizer`) served over the
 * runbook's JSON form, Envoy's HTTP service mode and gRPC. It uses identity's token rules and key store
 * through `createTokenVerifier`, and identity's `DECISION_SINK` for the audit ledger.
 *
 * Global only to export the READINESS_CHECKS port, which the operations module reads (outer modules do
 * not import each other); nothing else leaves it.
 */
@Module({})
export class EdgeModule {
  static forRoot(config: EdgeConfig): DynamicModule {
    return {
      module: EdgeModule,
      global: true,
      providers: [
        { provide: EDGE_CONFIG, useValue: config },
        CellsRegistry,
        CbaVerifier,
        EdgeAuthorizer,
        EdgeDecisions,
        EdgeHttpRoutes,
        EdgeGrpcServer,
        EdgeReadiness,
        { provide: READINESS_CHECKS, useFactory: (edge: EdgeReadiness) => [edge], inject: [EdgeReadiness] },
      ],
      exports: [READINESS_CHECKS],
    };
  }
}
