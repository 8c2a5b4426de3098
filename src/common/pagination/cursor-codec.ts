import { RequestError } from '../errors/request-error';

/**
 * The `next_cursor` of a list: base64url of a small JSON payload, opaque to clients. `read` accepts a
 * decoded payload only when it has exactly the shape `write` produces (else `undefined`), so a cursor of
 * another list, an edited one or plain garbage is a 400 `invalid_request`, never a query of its own.
 */
export class CursorCodec<T> {
  constructor(
    private readonly write: (position: T) => unknown,
    private readonly read: (payload: unknown) => T | undefined,
    private readonly refusal: string,
  ) {}

  encode(position: T): string {
    return Buffer.from(JSON.stringify(this.write(position)), 'utf8').toString('base64url');
  }

  decode(cursor: string): T {
    const position = this.read(parsed(cursor));
    if (position === undefined) throw new RequestError('invalid_request', 400, this.refusal);
    return position;
  }
}

function parsed(cursor: string): unknown {
  try {
    return JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
  } catch {
    return undefined; // not one of ours
  }
}
