import { workerDatabaseUrl } from '../support/db';
import { checkGrpc, checkJson, grpcClient } from '../support/ext-authz';
import { TestIssuer } from '../support/issuer';
import { freePort } from '../support/ports';
import { runToExit, startService, type RunningService } from '../support/process';
import { REDIS_URL } from '../support/services';
import { waitFor } from '../support/wait';

/**
 * The built service (`dist/src/main.js`) as an operator runs it: a bad edge setting stops the boot with
 * one line, the gRPC server finds its vendored protos from the build, and each deny is one structured
 * `authz_deny` log line that names the reason and never echoes the token.
 */
describe('the edge check in the built service', () => {
  it('refuses AUTH_MODE=disabled without ALLOW_INSECURE, in one line', async () => {
    const result = await runToExit({
      PORT: String(await freePort()),
      ALPHASWARM_TENANT_ROUTER_AUTH_MODE: 'disabled',
      ALPHASWARM_TENANT_ROUTER_CBA_DESTINATION_CELL_ID: 'cell-a',
    });
    expect(result.code).toBe(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^alphaswarm-identity: configuration error: ALPHASWARM_TENANT_ROUTER_AUTH_MODE: disabled lets every request through/,
    );
  });

  describe('running', () => {
    let issuer: TestIssuer;
    let service: RunningService;
    let url: string;
    let client: ReturnType<typeof grpcClient>;

    beforeAll(async () => {
      issuer = await TestIssuer.start();
      const [port, grpcPort] = [await freePort(), await freePort()];
      url = `http://127.0.0.1:${port}`;
      service = await startService({
        PORT: String(port),
        DATABASE_URL: await workerDatabaseUrl(),
        REDIS_URL,
        ALPHASWARM_TENANT_ROUTER_AUTH_MODE: 'required',
        ALPHASWARM_TENANT_ROUTER_OIDC_ISSUER: issuer.url,
        ALPHASWARM_TENANT_ROUTER_OIDC_AUDIENCE: issuer.audience,
        ALPHASWARM_TENANT_ROUTER_CBA_DESTINATION_CELL_ID: 'cell-solo',
        ALPHASWARM_TENANT_ROUTER_GRPC_PORT: String(grpcPort),
      });
      client = grpcClient(grpcPort);
    });
    afterAll(async () => {
      client.close();
      await service.stop();
      await issuer.stop();
    });

    it('answers over gRPC from the protos the build carries, on a single-cell edge', async () => {
      const outcome = await checkGrpc(client, [['authorization', `Bearer ${await issuer.token()}`]]);
      expect([outcome.status, outcome.set['x-alphaswarm-cell']]).toEqual([200, 'cell-solo']);
    });

    it('logs each deny as one authz_deny line with its reason, without the token', async () => {
      const now = Math.floor(Date.now() / 1000);
      const token = await issuer.token({ iat: now - 600, exp: now - 300 });
      const outcome = await checkJson(url, [['authorization', `Bearer ${token}`]]);
      expect(outcome.status).toBe(401);
      const line = await waitFor(
        () =>
          service
            .stdout()
            .split('\n')
            .filter((text) => text.startsWith('{'))
            .map((text) => JSON.parse(text) as Record<string, unknown>)
            .find((entry) => entry.event === 'authz_deny' && entry.reason === 'expired_token'),
        { what: 'the authz_deny line' },
      );
      expect(line).toMatchObject({
        event: 'authz_deny',
        reason: 'expired_token',
        status: 401,
        transport: 'json',
      });
      expect(service.stdout()).not.toContain(token.split('.')[2]);
    });
  });
});
