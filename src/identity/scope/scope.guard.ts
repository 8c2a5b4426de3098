import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthError } from '../errors/auth-error';
import { principalOf } from '../request-context';
import { HandlerMetadata } from '../route-metadata';
import { RequiredScopes } from './require-scope.decorator';

/** Checks `@RequireScope`. Runs after authentication; a no-op on routes without the decorator. */
@Injectable()
export class ScopeGuard implements CanActivate {
  private readonly requirement: HandlerMetadata<string[]>;

  constructor(reflector: Reflector) {
    this.requirement = new HandlerMetadata((targets) => reflector.getAllAndMerge(RequiredScopes, targets));
  }

  canActivate(context: ExecutionContext): boolean {
    const required = this.requirement.of(context);
    if (required.length === 0) return true;

    const principal = principalOf(context);
    // Anonymous callers only get here under permissive mode, where authentication already counted the
    // would-be deny; serving them is what permissive means.
    if (principal.actorType === 'anonymous') return true;
    if (required.every((scope) => principal.permissions.has(scope))) return true;
    throw new AuthError('insufficient_scope', { scope: required.join(' ') });
  }
}
