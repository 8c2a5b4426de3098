import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { AuthDecisions } from '../decisions/auth-decisions';
import { AuthError } from '../errors/auth-error';
import { MFA_ACR } from '../permissions';
import { principalOf, requestOf } from '../request-context';
import { HandlerMetadata } from '../route-metadata';
import { type StepUpOptions, StepUpRequirement } from './step-up.decorator';

/**
 * Checks `@StepUp`. Runs after authentication and scope, so a bad token is reported as such and never
 * as a step-up failure. A no-op on routes without the decorator, and everywhere when
 * ALPHASWARM_AUTH_STEP_UP_ENABLED=false.
 */
@Injectable()
export class StepUpGuard implements CanActivate {
  private readonly stepUp: AppConfig['auth']['stepUp'];
  private readonly skewSeconds: number;
  private readonly requirement: HandlerMetadata<StepUpOptions | undefined>;

  constructor(
    reflector: Reflector,
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly decisions: AuthDecisions,
  ) {
    this.requirement = new HandlerMetadata((targets) =>
      reflector.getAllAndOverride(StepUpRequirement, targets),
    );
    this.stepUp = config.auth.stepUp;
    this.skewSeconds = config.auth.clockSkewSeconds;
  }

  canActivate(context: ExecutionContext): boolean {
    const options = this.requirement.of(context);
    if (!options || !this.stepUp.enabled) return true;

    const principal = principalOf(context);
    if (principal.actorType === 'anonymous') throw new AuthError('missing_token');
    // Only a person can answer an MFA prompt: machines and agents are refused outright, without a challenge.
    if (principal.actorType !== 'user') throw new AuthError('insufficient_user_authentication', {}, 403);

    const maxAge = options.maxAge ?? this.stepUp.defaultMaxAgeSeconds;
    const now = Date.now() / 1000;
    const mfa = principal.amr.includes('mfa') || principal.acr === MFA_ACR;
    const authTime = principal.authTime;
    const recent = authTime !== undefined && authTime <= now + this.skewSeconds && now - authTime <= maxAge;
    if (mfa && recent) {
      this.decisions.stepUpPassed(requestOf(context)); // audited; a failure is audited as its deny
      return true;
    }
    throw new AuthError('insufficient_user_authentication', { acr_values: MFA_ACR, max_age: String(maxAge) });
  }
}
