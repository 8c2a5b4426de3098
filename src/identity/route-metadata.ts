import type { ExecutionContext, Type } from '@nestjs/common';

/** What `Reflector.getAllAndOverride/getAllAndMerge` read: the handler first, then its controller. */
export type RouteTargets = [handler: ReturnType<ExecutionContext['getHandler']>, controller: Type];

/**
 * A guard's reading of its decorator metadata, once per handler. Decorators never change after boot,
 * while walking the reflector (handler, then class, merging arrays) on every request is measurable on
 * the hot path. Keyed by the handler function, which belongs to exactly one controller class.
 */
export class HandlerMetadata<T> {
  private readonly byHandler = new Map<object, T>();

  constructor(private readonly read: (targets: RouteTargets) => T) {}

  of(context: ExecutionContext): T {
    const handler = context.getHandler();
    let value = this.byHandler.get(handler);
    if (value === undefined && !this.byHandler.has(handler)) {
      value = this.read([handler, context.getClass()]);
      this.byHandler.set(handler, value);
    }
    return value as T;
  }
}
