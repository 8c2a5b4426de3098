import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import type { Observable } from 'rxjs';
import { requestOf } from '../request-context';
import { AuthDecisions } from './auth-decisions';

/** Interceptors run after every guard passed: the one place an `allow` is certain. */
@Injectable()
export class DecisionInterceptor implements NestInterceptor {
  constructor(private readonly decisions: AuthDecisions) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = requestOf(context);
    const principal = request.principal;
    if (principal)
      this.decisions.allow(request, principal.actorType === 'anonymous' ? 'anonymous' : 'verified');
    return next.handle();
  }
}
