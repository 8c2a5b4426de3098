import { Controller, Get, Inject } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { Public } from './authentication/route-access.decorators';
import { dpopResourceMetadata } from './dpop/dpop-metadata';
import { MFA_ACR, PERMISSIONS } from './permissions';

/** What a client (SPA, CLI, agent) needs to know to obtain tokens for this API. No secrets. */
@ApiTags('identity')
@Controller('auth')
export class AuthConfigController {
  private readonly body: Record<string, unknown>;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    const { auth, cli, mcp, audit } = config;
    this.body = {
      provider: auth.provider,
      issuer: auth.issuer,
      audience: auth.audience,
      jwks_uri: auth.jwksUri,
      algorithms: auth.algorithms,
      enforce_mode: auth.enforce,
      claims_namespace: auth.claimNamespaces[0],
      m2m: { enabled: auth.m2mEnabled, audience: auth.m2mAudience },
      cli: {
        domain: cli.domain ?? null,
        client_id: cli.clientId ?? null,
        audience: cli.audience ?? auth.audience,
        organization: cli.organization ?? null,
      },
      permissions: PERMISSIONS,
      dpop: {
        enabled: auth.dpop.enabled,
        required: auth.dpop.required,
        route_enforcement: auth.dpop.routeEnforcement,
        nonces: auth.dpop.nonce.enabled,
        algorithms: auth.dpop.enabled ? auth.dpop.algorithms : [],
      },
      ...dpopResourceMetadata(config),
      step_up: {
        enabled: auth.stepUp.enabled,
        default_max_age: auth.stepUp.defaultMaxAgeSeconds,
        acr_values: MFA_ACR,
      },
      mcp: {
        data: mcp.dataCanonicalUri ?? null,
        codebase: mcp.codebaseCanonicalUri ?? null,
        require_rfc8707: mcp.requireRfc8707,
      },
      audit: { enabled: audit.enabled, retention_days: audit.retentionDays },
    };
  }

  @Public()
  @Get('config')
  config(): Record<string, unknown> {
    return this.body;
  }
}
