import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { AuthError } from '../errors/auth-error';
import { principalOf } from '../request-context';
import { HandlerMetadata } from '../route-metadata';
import { M2mOnlyRequirement } from './m2m-only.decorator';

/**
 * Checks `@M2mOnly`. Runs right after authentication, before scope: on these routes "who may call"
 * is decided by the client id, and a person's token must be told it is the wrong kind of token, not
 * which permission it lacks. A no-op on routes without the decorator.
 */
@Injectable()
export class M2mOnlyGuard implements CanActivate {
  private readonly allowed: HandlerMetadata<ReadonlySet<string> | undefined>;

  constructor(
    reflector: Reflector,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.allowed = new HandlerMetadata((targets) =>
      reflector.getAllAndOverride(M2mOnlyRequirement, targets)?.(config),
    );
  }

  canActivate(context: ExecutionContext): boolean {
    const allowed = this.allowed.of(context);
    if (!allowed) return true;

    const principal = principalOf(context);
    if (principal.actorType === 'anonymous') throw new AuthError('missing_token');
    if (principal.actorType === 'agent') throw new AuthError('agent_not_allowed');
    if (principal.actorType !== 'm2m') throw new AuthError('not_m2m');
    // An M2M token for the API audience is meant for the API; internal routes take only tokens minted
    // for them, so a leaked API token of an allowed client still cannot call them.
    if (!principal.audiences.includes(this.config.auth.m2mAudience)) throw new AuthError('not_m2m');
    if (principal.clientId === undefined || !allowed.has(principal.clientId)) throw new AuthError('not_m2m');
    return true;
  }
}
