import type { RequestReason } from './reason-codes';

/** A request refused before any authorization decision (unparsable body, …). */
export class RequestError extends Error {
  constructor(
    readonly reason: RequestReason,
    readonly status: number,
    description: string,
  ) {
    super(description);
    this.name = 'RequestError';
  }
}
