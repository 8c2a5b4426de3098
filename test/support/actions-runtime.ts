import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { join } from 'node:path';
import { createContext, Script } from 'node:vm';
import * as jose from 'jose';
import type { ActionsCache, CacheEntry } from '../../auth0/actions/actions';
import type { TestIssuer } from './issuer';
import { m2mClaims } from './internal';

const ACTIONS = join(__dirname, '..', '..', 'auth0', 'actions');

/** Modules an Action may `require` (declared as its dependencies in the Auth0 editor). */
const DEPENDENCIES: Record<string, unknown> = { jose };

/**
 * Loads an Action file the way Auth0 runs it: a CommonJS script in a context of its own, with the Node
 * globals the runtime offers (fetch, AbortSignal, console) and nothing of the test's scope, so an
 * Action that reads a variable it never declared (the seed's `event` in `mintM2MToken`) fails here too.
 */
export function loadAction<T>(file: string): { exports: T; logs: string[] } {
  const logs: string[] = [];
  const module = { exports: {} as T };
  const context = createContext({
    module,
    exports: module.exports,
    require: (name: string) => {
      if (!(name in DEPENDENCIES)) throw new Error(`Cannot find module '${name}'`);
      return DEPENDENCIES[name];
    },
    console: { log: (...args: unknown[]) => logs.push(args.map(String).join(' ')) },
    fetch,
    AbortSignal,
    URL,
    TextEncoder,
  });
  new Script(readFileSync(join(ACTIONS, file), 'utf8'), { filename: file }).runInContext(context);
  return { exports: module.exports, logs };
}

/** `api.cache` as Auth0 runs it: per Action, entries with a time to live. */
export class EmulatedCache implements ActionsCache {
  readonly entries = new Map<string, CacheEntry>();

  get(key: string): CacheEntry | undefined {
    const entry = this.entries.get(key);
    if (entry?.expires_at !== undefined && entry.expires_at <= Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  set(key: string, value: string, options: { ttl?: number; expires_at?: number } = {}) {
    const expiresAt =
      options.expires_at ?? (options.ttl === undefined ? undefined : Date.now() + options.ttl);
    this.entries.set(key, { value, expires_at: expiresAt });
    return { type: 'success' as const };
  }

  delete(key: string) {
    this.entries.delete(key);
    return { type: 'success' as const };
  }
}

/** Everything an Action asked of `api`, in the order it asked. */
export class EmulatedApi {
  readonly calls: [string, ...unknown[]][] = [];
  readonly accessTokenClaims: Record<string, unknown> = {};
  readonly idTokenClaims: Record<string, unknown> = {};
  readonly scopes: string[] = [];
  denied: unknown[] | null = null;
  mfa: unknown[] | null = null;
  userId: string | null = null;
  rejectedSubjectToken: string | null = null;

  constructor(readonly cache: EmulatedCache = new EmulatedCache()) {}

  private record(name: string, args: unknown[]): this {
    this.calls.push([name, ...args]);
    return this;
  }

  readonly access = {
    deny: (...args: unknown[]) => {
      this.denied = args;
      return this.record('access.deny', args);
    },
    rejectInvalidSubjectToken: (reason: string) => {
      this.rejectedSubjectToken = reason;
      return this.record('access.rejectInvalidSubjectToken', [reason]);
    },
  };
  readonly accessToken = {
    setCustomClaim: (name: string, value: unknown) => {
      this.accessTokenClaims[name] = value;
      return this.record('accessToken.setCustomClaim', [name, value]);
    },
    addScope: (scope: string) => {
      this.scopes.push(scope);
      return this.record('accessToken.addScope', [scope]);
    },
  };
  readonly idToken = {
    setCustomClaim: (name: string, value: unknown) => {
      this.idTokenClaims[name] = value;
      return this.record('idToken.setCustomClaim', [name, value]);
    },
  };
  readonly multifactor = {
    enable: (...args: unknown[]) => {
      this.mfa = args;
      return this.record('multifactor.enable', args);
    },
  };
  readonly authentication = {
    setUserById: (userId: string) => {
      this.userId = userId;
      return this.record('authentication.setUserById', [userId]);
    },
  };
}

/**
 * A loopback stand-in for an Auth0 domain's `POST /oauth/token`: client-credentials grants for known
 * clients, answered with a token signed by `issuer` (the custom domain, which issues every token).
 * Counts the grants it served, so a test can tell which domain the Action asked.
 */
export class TokenEndpoint {
  grants = 0;
  /** When set, every request is answered with this status and no token. */
  failWith?: number;

  private constructor(
    private readonly server: Server,
    readonly origin: string,
  ) {}

  static async start(issuer: TestIssuer, clients: Record<string, string>): Promise<TokenEndpoint> {
    const holder: { endpoint?: TokenEndpoint } = {};
    const server = createServer((request, response) => {
      void (async () => {
        const endpoint = holder.endpoint as TokenEndpoint;
        const body = await jsonOf(request);
        const answer = (status: number, payload: unknown) => {
          response.writeHead(status, { 'content-type': 'application/json' });
          response.end(JSON.stringify(payload));
        };
        if (request.method !== 'POST' || request.url !== '/oauth/token')
          return answer(404, { error: 'not_found' });
        if (endpoint.failWith) return answer(endpoint.failWith, { error: 'server_error' });
        const { grant_type, client_id, client_secret, audience } = body;
        if (grant_type !== 'client_credentials') return answer(400, { error: 'unsupported_grant_type' });
        if (typeof client_id !== 'string' || clients[client_id] !== client_secret) {
          return answer(401, { error: 'access_denied' });
        }
        endpoint.grants += 1;
        const token = await issuer.token(m2mClaims(client_id, { aud: audience }));
        return answer(200, { access_token: token, token_type: 'Bearer', expires_in: 86400 });
      })();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    holder.endpoint = new TokenEndpoint(server, `http://127.0.0.1:${port}`);
    return holder.endpoint;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

async function jsonOf(request: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
  } catch {
    return {};
  }
}
