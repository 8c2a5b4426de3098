import { createServer, type Server } from 'node:http';
import { jwtVerify } from 'jose';
import type { TestIssuer } from './issuer';

/** How the loopback token endpoint answers the next exchanges. */
export type ExchangeBehaviour =
  | 'profile'
  | 'profile_not_found'
  | 'unauthorized_client'
  | 'invalid_target'
  | 'server_error'
  | 'wider_than_asked';

const ALLOWED_AGENT_SCOPES = ['read:mcp:data', 'write:mcp:data', 'read:mcp:codebase', 'write:mcp:codebase'];

/**
 * A token endpoint on loopback that behaves like Auth0 running the `alphaswarm-agent-delegation` Custom
 * Token Exchange profile (seed 001): it authenticates the broker client, verifies the subject token
 * against the test issuer's key, requires an `agent|…` actor, keeps only the allowed scopes, and mints
 * a token through the test issuer with `act` and the org claim. Other behaviours reproduce the
 * profile's documented refusals.
 */
export class TokenExchangeIdp {
  behaviour: ExchangeBehaviour = 'profile';
  /** Every form the endpoint received, for assertions on what the broker sent. */
  readonly received: URLSearchParams[] = [];

  private constructor(
    private readonly server: Server,
    readonly tokenEndpoint: string,
    /** The broker client it admits; a test replaces the secret as an operator rotating it at the IdP. */
    public client: { id: string; secret: string },
  ) {}

  static async start(issuer: TestIssuer, client: { id: string; secret: string }): Promise<TokenExchangeIdp> {
    const holder: { idp?: TokenExchangeIdp } = {};
    const server = createServer((request, response) => {
      let raw = '';
      request.on('data', (chunk: Buffer) => (raw += chunk.toString('utf8')));
      request.on('end', () => {
        const idp = holder.idp as TokenExchangeIdp;
        const form = new URLSearchParams(raw);
        idp.received.push(form);
        void idp.answer(issuer, idp.client, form).then(([status, body]) => {
          response.writeHead(status, { 'content-type': status === 500 ? 'text/html' : 'application/json' });
          response.end(typeof body === 'string' ? body : JSON.stringify(body));
        });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    holder.idp = new TokenExchangeIdp(server, `http://127.0.0.1:${port}/oauth/token`, { ...client });
    return holder.idp;
  }

  private async answer(
    issuer: TestIssuer,
    client: { id: string; secret: string },
    form: URLSearchParams,
  ): Promise<[number, unknown]> {
    const refuse = (error: string, description: string): [number, unknown] => [
      400,
      { error, error_description: description },
    ];
    switch (this.behaviour) {
      case 'profile_not_found':
        return refuse('invalid_request', 'profile not found');
      case 'unauthorized_client':
        return refuse('unauthorized_client', 'Grant type not allowed for client: secret-client-x9');
      case 'invalid_target':
        return refuse('invalid_target', 'scope rejected: read:mcp:data');
      case 'server_error':
        return [500, '<html><body>Internal error at tenant secret-tenant-x9</body></html>'];
      case 'profile':
      case 'wider_than_asked':
        break;
    }
    if (form.get('client_id') !== client.id || form.get('client_secret') !== client.secret) {
      return [401, { error: 'invalid_client', error_description: 'Unauthorized' }];
    }
    if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:token-exchange') {
      return refuse('unsupported_grant_type', 'Unsupported grant type');
    }
    let subject: Record<string, unknown>;
    try {
      subject = (
        await jwtVerify(form.get('subject_token') ?? '', issuer.key.publicKey, { issuer: issuer.url })
      ).payload;
    } catch {
      return refuse('invalid_grant', 'subject token missing');
    }
    const agent = form.get('actor_token') ?? '';
    if (!agent.startsWith('agent|')) {
      return refuse('invalid_grant', "actor must identify an agent (sub must start with 'agent|')");
    }
    const requested = (form.get('scope') ?? '')
      .split(' ')
      .filter((scope) => ALLOWED_AGENT_SCOPES.includes(scope));
    const scopes = this.behaviour === 'wider_than_asked' ? [...requested, 'admin:tenant'] : requested;
    const token = await issuer.token({
      sub: subject.sub,
      aud: form.get('audience'),
      scope: scopes.join(' '),
      act: { sub: agent, iss: issuer.url },
      alphaswarm_delegated: true,
      ...(subject.org_id ? { org_id: subject.org_id } : {}),
    });
    return [200, { access_token: token, token_type: 'Bearer', expires_in: 300, scope: scopes.join(' ') }];
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
