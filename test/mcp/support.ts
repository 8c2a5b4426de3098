import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { TestApp } from '../support/app';

/** The headers of a Streamable HTTP POST (the transport asks for both content types). */
export const MCP_HEADERS = {
  accept: 'application/json, text/event-stream',
  'content-type': 'application/json',
};

/** A user token of the local issuer for `sub`, in `orgId`, with `permissions`. */
export async function userToken(
  t: TestApp,
  sub: string,
  orgId: string,
  permissions: string[],
): Promise<string> {
  const res = await t.http().post('/auth/local/login').send({ sub, org_id: orgId, permissions });
  if (res.status !== 200) throw new Error(`login failed: ${res.status}`);
  return res.body.access_token as string;
}

/** A delegated agent token from POST /auth/agent-token. */
export async function agentToken(
  t: TestApp,
  user: string,
  resource: string,
  scope?: string,
  agent = 'research_lead',
): Promise<string> {
  const res = await t
    .http()
    .post('/auth/agent-token')
    .set('Authorization', `Bearer ${user}`)
    .send({ agent, resource, ...(scope ? { scope } : {}) });
  if (res.status !== 200) throw new Error(`agent-token failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.access_token as string;
}

/** The SDK's own client, connected over Streamable HTTP with a bearer header. */
export async function sdkClient(url: string, token: string): Promise<Client> {
  const client = new Client({ name: 'alphaswarm-e2e', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  });
  await client.connect(transport);
  return client;
}

/** One JSON-RPC `tools/call` body. */
export const toolCall = (name: string, args: Record<string, unknown> = {}, id = 1) => ({
  jsonrpc: '2.0',
  id,
  method: 'tools/call',
  params: { name, arguments: args },
});
