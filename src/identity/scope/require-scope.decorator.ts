import { Reflector } from '@nestjs/core';

export const RequiredScopes = Reflector.createDecorator<string[]>();

/**
 * Every listed permission must be in the token (`permissions[]` or the space-separated `scope`).
 * Class and method requirements add up, so a method can only narrow its class.
 * @example `@RequireScope('admin:tenant')`
 */
export const RequireScope = (...scopes: string[]): MethodDecorator & ClassDecorator => RequiredScopes(scopes);
