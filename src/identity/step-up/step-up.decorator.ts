import { Reflector } from '@nestjs/core';

export interface StepUpOptions {
  /** Seconds since the MFA authentication (`auth_time`); default ALPHASWARM_AUTH_STEP_UP_DEFAULT_MAX_AGE. */
  maxAge?: number;
}

export const StepUpRequirement = Reflector.createDecorator<StepUpOptions>();

/**
 * RFC 9470 step-up: the route needs a user who authenticated with MFA (`amr` contains `mfa`, or `acr` is
 * the MFA policy) within `maxAge` seconds. Otherwise 401 `insufficient_user_authentication` with a
 * challenge naming `acr_values` and `max_age`, so the client can send the user back to the IdP. M2M and
 * agent tokens can never step up: 403. Step-up routes never serve anonymous callers, even under
 * permissive mode. A method's options override its class's.
 * @example `@StepUp({ maxAge: 60 }) @Delete(':memberId') removeMember() {…}`
 */
export const StepUp = (options: StepUpOptions = {}): MethodDecorator & ClassDecorator =>
  StepUpRequirement(options);
