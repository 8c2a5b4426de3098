import { Reflector } from '@nestjs/core';

export const DpopRequirement = Reflector.createDecorator<true>();

/**
 * With ALPHASWARM_DPOP_ENFORCEMENT_ENABLED=true the route accepts only sender-constrained requests: a
 * DPoP-bound token with a valid proof (`Authorization: DPoP` + `DPoP`). A plain bearer token gets 401
 * `dpop_required` and an anonymous caller 401 `missing_token`, even under permissive mode. Every
 * `@StepUp` route is treated the same way, so the high-risk routes demand DPoP before the whole API does
 * (ALPHASWARM_AUTH0_DPOP_REQUIRED). With enforcement off it only asks for an authenticated caller.
 * @example `@RequireDpop() @Post('keys/rotate') rotate() {…}`
 */
export const RequireDpop = (): MethodDecorator & ClassDecorator => DpopRequirement(true);
