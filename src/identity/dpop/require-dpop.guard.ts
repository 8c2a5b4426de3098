import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { AuthError } from '../errors/auth-error';
import { principalOf } from '../request-context';
import { HandlerMetadata } from '../route-metadata';
import { StepUpRequirement } from '../step-up/step-up.decorator';
import { DpopRequirement } from './require-dpop.decorator';

/**
 * Checks `@RequireDpop()` (and `@StepUp`) when ALPHASWARM_DPOP_ENFORCEMENT_ENABLED=true. Runs right after
 * authentication: how the token was presented is decided before what it may do. A principal carries
 * `dpopJkt` only when its request came with a valid proof — authentication refuses a bound token sent
 * as a plain bearer token, and a proof with an unbound token — so that is the whole check.
 */
@Injectable()
export class RequireDpopGuard implements CanActivate {
  private readonly enforced: boolean;
  private readonly requirement: HandlerMetadata<boolean>;

  constructor(reflector: Reflector, @Inject(APP_CONFIG) config: AppConfig) {
    this.enforced = config.auth.dpop.routeEnforcement;
    this.requirement = new HandlerMetadata(
      (targets) =>
        reflector.getAllAndOverride(DpopRequirement, targets) === true ||
        reflector.getAllAndOverride(StepUpRequirement, targets) !== undefined,
    );
  }

  canActivate(context: ExecutionContext): boolean {
    if (!this.enforced || !this.requirement.of(context)) return true;
    const principal = principalOf(context);
    if (principal.actorType === 'anonymous') throw new AuthError('missing_token');
    if (principal.dpopJkt === undefined) throw new AuthError('dpop_required');
    return true;
  }
}
