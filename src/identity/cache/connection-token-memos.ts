import type { Principal } from '../principal';

interface Memo {
  token: string;
  principal: Principal;
  generation: number;
}

/**
 * Per open connection, the last token verified on it and its principal, in front of a cache of
 * verified tokens. A kept-alive client (or Envoy) sends the same token again and again; comparing it
 * with the connection's last one costs a string comparison where the cache's lookup hashes the ~1 KB
 * token. A memo holds only while the cache it fronts is at the same generation: bumping the generation
 * (key set change, revocation) makes every connection's memo lapse at once. Gone with the connection.
 */
export class ConnectionTokenMemos {
  private readonly memos = new WeakMap<object, Memo>();

  /** The principal of `token` when it is this connection's last one, noted under `generation`. */
  find(connection: object, token: string, generation: number): Principal | undefined {
    const memo = this.memos.get(connection);
    return memo !== undefined && memo.generation === generation && memo.token === token
      ? memo.principal
      : undefined;
  }

  /** Rewritten in place when the connection's token changes: no allocation per request. */
  note(connection: object, token: string, principal: Principal, generation: number): void {
    const memo = this.memos.get(connection);
    if (memo === undefined) {
      this.memos.set(connection, { token, principal, generation });
      return;
    }
    memo.token = token;
    memo.principal = principal;
    memo.generation = generation;
  }
}
