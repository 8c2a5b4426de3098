import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SYSTEM_SCOPE, TenantDb } from '../../src/database/tenant-db';
import { startTestApp, type TestApp } from '../support/app';
import { scopesOf } from '../support/tenancy-admin';
import { Tenants } from '../support/tenancy';
import { waitFor } from '../support/wait';
import { agentToken, MCP_HEADERS, sdkClient, toolCall, userToken } from './support';

const MAX_FILE_BYTES = 1024;

/** A codebase root with a file, a nested file, a big file, a FIFO and symlinks in and out of the root. */
function codebaseFixture(): string {
  const root = mkdtempSync(join(tmpdir(), 'alphaswarm-codebase-'));
  writeFileSync(join(root, 'README.md'), '# hello\n');
  mkdirSync(join(root, 'src'));
  writeFileSync(join(root, 'src', 'main.ts'), 'export const answer = 42;\n');
  writeFileSync(join(root, 'big.txt'), 'x'.repeat(MAX_FILE_BYTES + 1));
  const outside = mkdtempSync(join(tmpdir(), 'alphaswarm-outside-'));
  writeFileSync(join(outside, 'secret.txt'), 'top secret');
  symlinkSync(join(outside, 'secret.txt'), join(root, 'escape.txt'));
  symlinkSync('/dev/zero', join(root, 'zero'));
  symlinkSync(join(root, 'README.md'), join(root, 'inside-link.md'));
  execFileSync('mkfifo', [join(root, 'pipe')]);
  return root;
}

describe('the MCP servers over Streamable HTTP and plain HTTP (local provider)', () => {
  let t: TestApp;
  let tenants: Tenants;
  let dataUri: string;
  let codebaseUri: string;
  let alice: { id: string; sub: string; orgId: string };
  let workspaceId: string;
  let dataToken: string;
  let codebaseToken: string;
  const clients: Client[] = [];

  beforeAll(async () => {
    t = await startTestApp({
      ALPHASWARM_AUTH_AGENT_TOKEN_EXCHANGE_ENABLED: 'true',
      ALPHASWARM_MCP_REQUIRE_RFC8707: 'strict',
      ALPHASWARM_MCP_CODEBASE_ROOT: codebaseFixture(),
      ALPHASWARM_MCP_CODEBASE_MAX_FILE_BYTES: String(MAX_FILE_BYTES),
      ALPHASWARM_MCP_ALLOWED_ORIGINS: 'https://console.example.com',
    });
    tenants = new Tenants(t);
    dataUri = t.config.mcp.dataCanonicalUri as string;
    codebaseUri = t.config.mcp.codebaseCanonicalUri as string;
    alice = await tenants.member('admin');
    ({ workspaceId } = await scopesOf(t, alice.orgId));
    const user = await userToken(t, alice.sub, alice.orgId, [
      'read:mcp:data',
      'write:mcp:data',
      'read:mcp:codebase',
      'admin:tenant',
    ]);
    dataToken = await agentToken(t, user, dataUri, 'read:mcp:data write:mcp:data');
    codebaseToken = await agentToken(t, user, codebaseUri, 'read:mcp:codebase');
  });
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await t.close();
  });

  const connect = async (url: string, token: string) => {
    const client = await sdkClient(url, token);
    clients.push(client);
    return client;
  };
  const invoke = (
    server: 'data' | 'codebase',
    tool: string,
    token: string,
    args: Record<string, unknown> = {},
  ) =>
    t
      .http()
      .post(`/mcp/${server}/tools/${tool}/invoke`)
      .set('Authorization', `Bearer ${token}`)
      .send({ arguments: args });
  /** The `mcp.tool_invoked` row of a request, once the buffered writer has written it. */
  const ledgerRow = (requestId: string) =>
    waitFor(
      async () => {
        const rows = await t.app
          .get(TenantDb)
          .run(SYSTEM_SCOPE, (db) =>
            db.query<Record<string, unknown>[]>(
              `SELECT * FROM security_audit_events WHERE request_id = $1 AND event_type = 'mcp.tool_invoked'`,
              [requestId],
            ),
          );
        return rows[0];
      },
      { what: 'the mcp.tool_invoked row' },
    );

  describe('with the SDK client', () => {
    it('initializes, lists the tools of each server and calls them', async () => {
      const data = await connect(`${t.url}/mcp/data`, dataToken);
      expect(data.getServerVersion()).toMatchObject({ name: 'alphaswarm-data' });
      const dataTools = (await data.listTools()).tools.map((tool) => tool.name).sort();
      expect(dataTools).toEqual([
        'audit.recent_events',
        'identity.whoami',
        'tenancy.create_project',
        'tenancy.get_workspace',
        'tenancy.list_workspaces',
        'upstream.get_status',
      ]);
      const whoami = await data.callTool({ name: 'identity.whoami', arguments: {} });
      expect(whoami.isError).toBeFalsy();
      expect(whoami.structuredContent).toMatchObject({
        agent: 'agent|research_lead',
        on_behalf_of_sub: alice.sub,
        scopes: ['read:mcp:data', 'write:mcp:data'],
      });

      const codebase = await connect(`${t.url}/mcp/codebase`, codebaseToken);
      expect((await codebase.listTools()).tools.map((tool) => tool.name).sort()).toEqual([
        'codebase.list_files',
        'codebase.read_file',
      ]);
      const file = await codebase.callTool({
        name: 'codebase.read_file',
        arguments: { path: 'src/main.ts' },
      });
      expect(file.structuredContent).toMatchObject({
        path: 'src/main.ts',
        content: 'export const answer = 42;\n',
      });
    });

    it("reads the human's workspaces and creates a project where the human may write", async () => {
      const data = await connect(`${t.url}/mcp/data`, dataToken);
      const listed = await data.callTool({ name: 'tenancy.list_workspaces', arguments: {} });
      expect(listed.structuredContent).toMatchObject({
        organizations: [{ org_id: alice.orgId, workspaces: [{ id: workspaceId }] }],
      });
      const got = await data.callTool({
        name: 'tenancy.get_workspace',
        arguments: { org_id: alice.orgId, workspace_id: workspaceId },
      });
      expect(got.structuredContent).toMatchObject({ workspace: { id: workspaceId, org_id: alice.orgId } });
      const created = await data.callTool({
        name: 'tenancy.create_project',
        arguments: { org_id: alice.orgId, workspace_id: workspaceId, name: 'agent-made' },
      });
      expect(created.isError).toBeFalsy();
      expect(created.structuredContent).toMatchObject({
        project: { workspace_id: workspaceId, name: 'agent-made' },
      });
    });

    it('answers a tool of another organization with a tool error, and an invalid argument too', async () => {
      const bob = await tenants.member('owner');
      const theirs = await scopesOf(t, bob.orgId);
      const data = await connect(`${t.url}/mcp/data`, dataToken);
      const foreign = await data.callTool({
        name: 'tenancy.get_workspace',
        arguments: { org_id: bob.orgId, workspace_id: theirs.workspaceId },
      });
      expect(foreign.isError).toBe(true);
      expect(JSON.stringify(foreign.content)).toContain('org_forbidden');
      expect(JSON.stringify(foreign.content)).not.toContain(theirs.workspaceId);
      const invalid = await data.callTool({ name: 'tenancy.get_workspace', arguments: { org_id: 'nope' } });
      expect(invalid.isError).toBe(true);
    });
  });

  describe('the plain-HTTP invoke route', () => {
    it('answers with the result and the actor, and audits the call with the delegation', async () => {
      const res = await invoke('data', 'identity.whoami', dataToken);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        tool: 'identity.whoami',
        result: { agent: 'agent|research_lead', on_behalf_of_sub: alice.sub },
        actor: { actor_type: 'agent', sub: 'agent|research_lead', on_behalf_of_sub: alice.sub },
      });
      const row = await ledgerRow(res.headers['x-request-id']);
      expect(row).toMatchObject({
        outcome: 'success',
        org_id: alice.orgId,
        user_id: alice.sub,
        actor_user_id: 'agent|research_lead',
        route: '/mcp/data/tools/:tool/invoke',
        details: {
          server: 'data',
          tool: 'identity.whoami',
          transport: 'invoke',
          delegation: {
            agent_subject: 'agent|research_lead',
            on_behalf_of_user_id: alice.sub,
            profile: 'alphaswarm-agent-delegation',
          },
        },
      });
    });

    it('refuses and audits a tool of another organization (403 org_forbidden)', async () => {
      const bob = await tenants.member('owner');
      const theirs = await scopesOf(t, bob.orgId);
      const res = await invoke('data', 'tenancy.get_workspace', dataToken, {
        org_id: bob.orgId,
        workspace_id: theirs.workspaceId,
      });
      expect([res.status, res.body.reason]).toEqual([403, 'org_forbidden']);
      const row = await ledgerRow(res.headers['x-request-id']);
      // The refusal lands in the caller's own chain, never in the organization it probed.
      expect(row).toMatchObject({ outcome: 'deny', reason: 'org_forbidden', org_id: alice.orgId });
    });

    it('refuses audit events to a member who is not an organization admin', async () => {
      const carol = await tenants.member('member');
      const user = await userToken(t, carol.sub, carol.orgId, ['read:mcp:data']);
      const token = await agentToken(t, user, dataUri);
      const res = await invoke('data', 'audit.recent_events', token, { org_id: carol.orgId });
      expect([res.status, res.body.reason]).toEqual([403, 'org_forbidden']);
      const admin = await invoke('data', 'audit.recent_events', dataToken, { org_id: alice.orgId });
      expect(admin.status).toBe(200);
      expect(Array.isArray(admin.body.result.events)).toBe(true);
    });

    it('refuses the next call once the human lost the membership mid-session', async () => {
      const dave = await tenants.member('member');
      const dw = await scopesOf(t, dave.orgId);
      const user = await userToken(t, dave.sub, dave.orgId, ['read:mcp:data']);
      const token = await agentToken(t, user, dataUri);
      const args = { org_id: dave.orgId, workspace_id: dw.workspaceId };
      expect((await invoke('data', 'tenancy.get_workspace', token, args)).status).toBe(200);
      await t.app
        .get(TenantDb)
        .run(SYSTEM_SCOPE, (db) => db.query(`DELETE FROM memberships WHERE user_id = $1`, [dave.id]));
      const after = await invoke('data', 'tenancy.get_workspace', token, args);
      expect([after.status, after.body.reason]).toEqual([403, 'org_forbidden']);
    });

    it('refuses a mutation without write:mcp:data with the insufficient_scope challenge', async () => {
      const user = await userToken(t, alice.sub, alice.orgId, ['read:mcp:data', 'write:mcp:data']);
      const readOnly = await agentToken(t, user, dataUri, 'read:mcp:data');
      const args = { org_id: alice.orgId, workspace_id: workspaceId, name: 'nope' };
      const res = await invoke('data', 'tenancy.create_project', readOnly, args);
      expect([res.status, res.body.reason]).toEqual([403, 'insufficient_scope']);
      expect(res.headers['www-authenticate']).toBe(
        `Bearer error="insufficient_scope", error_description="The token lacks a required permission", scope="write:mcp:data", resource_metadata="${t.url}/.well-known/oauth-protected-resource/mcp/data"`,
      );
      // The same refusal over Streamable HTTP is an HTTP 403 with the challenge, before any JSON-RPC.
      const rpc = await t
        .http()
        .post('/mcp/data')
        .set(MCP_HEADERS)
        .set('Authorization', `Bearer ${readOnly}`)
        .send(toolCall('tenancy.create_project', args));
      expect([rpc.status, rpc.body.reason]).toEqual([403, 'insufficient_scope']);
      expect(rpc.headers['www-authenticate']).toContain('scope="write:mcp:data"');
    });

    it('refuses a body that is not { arguments: { … } } without echoing it', async () => {
      for (const body of [{ argumentz: { x: 1 } }, { arguments: ['x'] }, { arguments: 'x' }]) {
        const res = await t
          .http()
          .post('/mcp/data/tools/identity.whoami/invoke')
          .set('Authorization', `Bearer ${dataToken}`)
          .send(body);
        expect([res.status, res.body.reason]).toEqual([400, 'invalid_request']);
        expect(JSON.stringify(res.body)).not.toContain('argumentz');
      }
      const extra = await invoke('data', 'identity.whoami', dataToken, { unexpected: true });
      expect([extra.status, extra.body.reason]).toEqual([400, 'invalid_request']);
      expect(extra.body.error_description).toBe('Invalid tool arguments: (arguments)');
    });

    it('answers 404 for a tool the server does not have', async () => {
      const res = await invoke('data', 'codebase.read_file', dataToken, { path: 'README.md' });
      expect([res.status, res.body.reason]).toEqual([404, 'not_found']);
    });
  });

  describe('RFC 8707, RFC 9728 and the challenges', () => {
    it('publishes protected-resource metadata naming the canonical URI', async () => {
      for (const [server, uri] of [
        ['data', dataUri],
        ['codebase', codebaseUri],
      ]) {
        const res = await t.http().get(`/.well-known/oauth-protected-resource/mcp/${server}`);
        expect(res.status).toBe(200);
        expect(res.body).toMatchObject({
          resource: uri,
          authorization_servers: [t.config.auth.issuer],
          scopes_supported: [`read:mcp:${server}`, `write:mcp:${server}`],
          bearer_methods_supported: ['header'],
        });
      }
    });

    it('answers a request without a token with 401 and resource_metadata', async () => {
      const res = await t.http().post('/mcp/data').set(MCP_HEADERS).send(toolCall('identity.whoami'));
      expect([res.status, res.body.reason]).toEqual([401, 'missing_token']);
      expect(res.headers['www-authenticate']).toBe(
        `Bearer resource_metadata="${t.url}/.well-known/oauth-protected-resource/mcp/data", scope="read:mcp:data"`,
      );
    });

    it('refuses a data token on the codebase server (wrong_audience) and a codebase token on data', async () => {
      // The codebase server needs read:mcp:codebase, which the data token cannot carry: give it one that does.
      const user = await userToken(t, alice.sub, alice.orgId, ['read:mcp:data', 'read:mcp:codebase']);
      const wide = await agentToken(t, user, dataUri, 'read:mcp:data read:mcp:codebase');
      const res = await invoke('codebase', 'codebase.list_files', wide);
      expect([res.status, res.body.reason]).toEqual([401, 'wrong_audience']);
      expect(res.headers['www-authenticate']).toContain(
        `resource_metadata="${t.url}/.well-known/oauth-protected-resource/mcp/codebase"`,
      );
      const back = await invoke('data', 'identity.whoami', codebaseToken);
      expect(back.status).toBe(403); // no read:mcp:data at all: scope first
    });

    it('refuses an ordinary user token (delegation_required)', async () => {
      const user = await userToken(t, alice.sub, alice.orgId, ['read:mcp:data']);
      const res = await invoke('data', 'identity.whoami', user);
      expect([res.status, res.body.reason]).toEqual([403, 'delegation_required']);
    });

    it('never reads a token from the query string', async () => {
      const alone = await t
        .http()
        .post(`/mcp/data/tools/identity.whoami/invoke?access_token=${dataToken}`)
        .send({});
      expect([alone.status, alone.body.reason]).toEqual([401, 'missing_token']);
      const both = await t
        .http()
        .post(`/mcp/data/tools/identity.whoami/invoke?access_token=${dataToken}`)
        .set('Authorization', `Bearer ${dataToken}`)
        .send({});
      expect(both.status).toBe(400);
    });
  });

  describe('DNS-rebinding protection and headers', () => {
    it('refuses a foreign Origin, passes an allowed one with CORS headers, and a request without Origin', async () => {
      const foreign = await invoke('data', 'identity.whoami', dataToken).set(
        'Origin',
        'https://evil.example',
      );
      expect([foreign.status, foreign.body.reason]).toEqual([403, 'origin_forbidden']);
      const rpcForeign = await t
        .http()
        .post('/mcp/data')
        .set(MCP_HEADERS)
        .set('Origin', 'https://evil.example')
        .set('Authorization', `Bearer ${dataToken}`)
        .send(toolCall('identity.whoami'));
      expect(rpcForeign.status).toBe(403);
      const allowed = await t
        .http()
        .post('/mcp/data')
        .set(MCP_HEADERS)
        .set('Origin', 'https://console.example.com')
        .set('Authorization', `Bearer ${dataToken}`)
        .send(toolCall('identity.whoami'));
      expect(allowed.status).toBe(200);
      expect(allowed.headers['access-control-allow-origin']).toBe('https://console.example.com');
      expect(allowed.headers['x-content-type-options']).toBe('nosniff');
      expect(allowed.headers['cache-control']).toBe('no-store');
      expect(allowed.headers['x-request-id']).toBeDefined();
      expect(allowed.body.result.structuredContent.agent).toBe('agent|research_lead');
    });

    it('answers a CORS preflight for an allowed origin only, and the invoke route carries CORS too', async () => {
      const allowed = await t
        .http()
        .options('/mcp/data')
        .set('Origin', 'https://console.example.com')
        .set('Access-Control-Request-Method', 'POST')
        .set('Access-Control-Request-Headers', 'authorization, content-type');
      expect(allowed.status).toBe(204);
      expect(allowed.headers).toMatchObject({
        'access-control-allow-origin': 'https://console.example.com',
        'access-control-allow-methods': 'POST',
      });
      expect(allowed.headers['access-control-allow-headers']).toContain('Authorization');
      const foreign = await t
        .http()
        .options('/mcp/data/tools/identity.whoami/invoke')
        .set('Origin', 'https://evil.example')
        .set('Access-Control-Request-Method', 'POST');
      expect([foreign.status, foreign.body.reason]).toEqual([403, 'origin_forbidden']);
      expect(foreign.headers['access-control-allow-origin']).toBeUndefined();
      const invoked = await invoke('data', 'identity.whoami', dataToken).set(
        'Origin',
        'https://console.example.com',
      );
      expect(invoked.status).toBe(200);
      expect(invoked.headers['access-control-allow-origin']).toBe('https://console.example.com');
    });

    it('refuses a Host it does not serve', async () => {
      const res = await invoke('data', 'identity.whoami', dataToken).set('Host', 'rebound.evil.example');
      expect([res.status, res.body.reason]).toEqual([403, 'origin_forbidden']);
    });

    it('answers GET and DELETE with 405 (stateless: no stream, no session)', async () => {
      const res = await t.http().get('/mcp/data').set('Authorization', `Bearer ${dataToken}`);
      expect([res.status, res.headers.allow]).toEqual([405, 'POST']);
    });
  });

  describe('the codebase tools', () => {
    const read = (path: string) => invoke('codebase', 'codebase.read_file', codebaseToken, { path });

    it('lists a directory and reads a file through a symlink that stays inside the root', async () => {
      const list = await invoke('codebase', 'codebase.list_files', codebaseToken, { path: '.' });
      expect(list.status).toBe(200);
      expect(list.body.result.entries).toEqual(
        expect.arrayContaining([
          { name: 'README.md', type: 'file' },
          { name: 'src', type: 'directory' },
          { name: 'escape.txt', type: 'symlink' },
        ]),
      );
      expect((await read('inside-link.md')).body.result.content).toBe('# hello\n');
    });

    it.each([
      ['../etc/passwd', 'invalid_request'],
      ['src/../../etc/passwd', 'invalid_request'],
      ['/etc/passwd', 'invalid_request'],
      ['escape.txt', 'invalid_request'],
      ['zero', 'invalid_request'],
      ['pipe', 'invalid_request'],
      ['big.txt', 'invalid_request'],
      ['missing.txt', 'not_found'],
    ])('refuses %s (%s) without showing anything outside the root', async (path, reason) => {
      const res = await read(path);
      expect(res.body.reason).toBe(reason);
      expect(JSON.stringify(res.body)).not.toContain('top secret');
      expect(JSON.stringify(res.body)).not.toContain(tmpdir());
    });
  });
});

describe('the MCP servers with DPoP on (RFC 9449 and RFC 9728 together)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({
      ALPHASWARM_AUTH_AGENT_TOKEN_EXCHANGE_ENABLED: 'true',
      ALPHASWARM_MCP_REQUIRE_RFC8707: 'strict',
      ALPHASWARM_AUTH0_DPOP_ENABLED: 'true',
      ALPHASWARM_DPOP_ALGORITHMS: 'ES256,EdDSA',
    });
  });
  afterAll(async () => {
    await t.close();
  });

  it('publishes the DPoP members in the protected-resource metadata', async () => {
    const res = await t.http().get('/.well-known/oauth-protected-resource/mcp/data');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      resource: t.config.mcp.dataCanonicalUri,
      dpop_signing_alg_values_supported: ['ES256', 'EdDSA'],
      dpop_bound_access_tokens_required: false,
    });
  });

  it('names the metadata on both challenges of a 401 without a token', async () => {
    const res = await t.http().post('/mcp/data').set(MCP_HEADERS).send(toolCall('identity.whoami'));
    expect([res.status, res.body.reason]).toEqual([401, 'missing_token']);
    const metadata = `resource_metadata="${t.url}/.well-known/oauth-protected-resource/mcp/data"`;
    expect(res.headers['www-authenticate']).toBe(`Bearer ${metadata}, DPoP ${metadata}, algs="ES256 EdDSA"`);
  });
});

describe('the MCP metadata with DPoP off', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ ALPHASWARM_MCP_REQUIRE_RFC8707: 'strict' });
  });
  afterAll(async () => {
    await t.close();
  });

  it('leaves the DPoP members out', async () => {
    const res = await t.http().get('/.well-known/oauth-protected-resource/mcp/data');
    expect(res.status).toBe(200);
    expect(res.body).not.toHaveProperty('dpop_signing_alg_values_supported');
    expect(res.body).not.toHaveProperty('dpop_bound_access_tokens_required');
  });
});
