import type { CredentialReason, RequestReason, TenancyReason } from './request-reasons';

/** A request refused for what it asks rather than who asks (unparsable body, unknown id, conflict, …). */
export class RequestError extends Error {
  constructor(
    readonly reason: RequestReason | TenancyReason | CredentialReason,
    readonly status: number,
    description: string,
  ) {
    super(description);
    this.name = 'RequestError';
  }
}
