import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Principal } from '../principal';
import { principalOf } from '../request-context';

/**
 * The request's principal, as the authentication guard set it (anonymous only under permissive mode).
 * @example `@Authenticated() @Get() list(@CurrentPrincipal() principal: Principal) {…}`
 */
export const CurrentPrincipal = createParamDecorator((_data: unknown, context: ExecutionContext): Principal =>
  principalOf(context),
);
