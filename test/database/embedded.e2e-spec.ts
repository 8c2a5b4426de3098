import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { LOCAL_DEFAULTS } from '../../src/identity/local/local-defaults';
import { freePort } from '../support/ports';
import { ROOT, runToExit, startService, type RunningService } from '../support/process';
import { waitFor } from '../support/wait';

/**
 * What a new user gets from `npm start` on a machine with nothing but Node: the real built process, no
 * DATABASE_URL and no REDIS_URL, in an empty folder.
 */
/** A first boot creates the PGlite cluster and runs every migration: on a busy machine, most of a minute. */
const FIRST_BOOT_MS = 85_000;

describe('npm start on the embedded defaults', () => {
  let workdir: string;
  let port: number;
  let service: RunningService;
  let url: string;

  beforeAll(async () => {
    workdir = mkdtempSync(join(tmpdir(), 'alphaswarm-embedded-'));
    port = await freePort();
    url = `http://127.0.0.1:${port}`;
    service = await startService({ PORT: String(port) }, workdir, FIRST_BOOT_MS);
  }, 90_000);
  afterAll(async () => {
    await service?.stop();
    rmSync(workdir, { recursive: true, force: true });
  });

  const token = async (...args: string[]) => {
    const result = await runToExit(
      { PORT: String(port) },
      { script: join(ROOT, 'dist/scripts/token.js'), args },
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    return result.stdout.trim();
  };

  it('logs one line saying where it listens, and which provider, database and enforce mode it uses', () => {
    const boot = service
      .stdout()
      .split('\n')
      .filter((line) => line.includes('listening on'));
    expect(boot).toHaveLength(1);
    const message = (JSON.parse(boot[0]) as { msg: string }).msg;
    expect(message).toContain(`listening on http://127.0.0.1:${port}`);
    expect(message).toMatch(
      /provider=local .*database=embedded \(.*\.data\/pg\) enforce=strict jobs=in-process/,
    );
    expect(existsSync(join(workdir, '.data', 'pg'))).toBe(true);
  });

  it('npm run token prints a token that /auth/whoami accepts', async () => {
    const access = await token(
      '--sub',
      'auth0|alice',
      '--permissions',
      'read:portfolio,admin:tenant',
      '--org',
      LOCAL_DEFAULTS.orgId,
      '--amr',
      'mfa',
    );
    expect(access.split('.')).toHaveLength(3);
    const res = await request(url).get('/auth/whoami').set('Authorization', `Bearer ${access}`);
    expect(res.status).toBe(200);
    expect(res.body.principal).toMatchObject({
      sub: 'auth0|alice',
      permissions: ['admin:tenant', 'read:portfolio'],
      orgId: LOCAL_DEFAULTS.orgId,
      amr: ['mfa'],
    });
  });

  it('the seeded local-default user sees its org membership', async () => {
    const res = await request(url)
      .get('/auth/whoami')
      .set('Authorization', `Bearer ${await token()}`);
    expect(res.body.memberships).toEqual([
      expect.objectContaining({ org_id: LOCAL_DEFAULTS.orgId, role: 'owner' }),
    ]);
  });

  it('without a token answers 401 missing_token with WWW-Authenticate: Bearer', async () => {
    const res = await request(url).get('/auth/whoami');
    expect([res.status, res.headers['www-authenticate'], res.body.reason]).toEqual([
      401,
      'Bearer',
      'missing_token',
    ]);
  });

  it('logs JSON lines carrying the request id, and never the token', async () => {
    const access = await token('--sub', 'auth0|logged');
    const res = await request(url)
      .get('/auth/whoami')
      .set('Authorization', `Bearer ${access}`)
      .set('X-Request-Id', 'log-probe-1');
    expect(res.status).toBe(200);
    // The service writes its log lines as the response goes out: wait for the completion line.
    const completion = (line: string) => line.includes('log-probe-1') && line.includes('request completed');
    await waitFor(() => service.stdout().split('\n').some(completion), { what: 'the completion log line' });
    const lines = service
      .stdout()
      .split('\n')
      .filter((line) => line.trim() !== '');
    for (const line of lines) expect(() => JSON.parse(line) as unknown).not.toThrow();
    const requestLines = lines
      .map((line) => JSON.parse(line) as { request_id?: string; msg?: string; event?: string })
      .filter((line) => line.request_id === 'log-probe-1');
    // The request's own line and the completion line, both carrying the request id.
    expect(requestLines.map((line) => line.msg ?? line.event)).toContain('request completed');
    expect(lines.filter((line) => line.includes('log-probe-1'))).toHaveLength(requestLines.length);
    const everything = service.stdout() + service.stderr();
    expect(everything).not.toContain(access);
    expect(everything).not.toContain(access.split('.')[2]);
  });

  it('refuses a second process on the same data folder with one line', async () => {
    const second = await runToExit({ PORT: String(await freePort()) }, { cwd: workdir, timeoutMs: 30_000 });
    expect(second.code).toBe(1);
    expect(second.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(
        /^alphaswarm-identity: configuration error: ALPHASWARM_DATA_DIR: the embedded database .* is in use by another process/,
      ),
    ]);
  });

  it('keeps its signing key and data across a restart', async () => {
    const kid = (await request(url).get('/.well-known/jwks.json')).body.keys[0].kid as string;
    const before = await token('--sub', 'auth0|survivor');
    await service.stop();
    service = await startService({ PORT: String(port) }, workdir, FIRST_BOOT_MS);
    expect((await request(url).get('/.well-known/jwks.json')).body.keys[0].kid).toBe(kid);
    const res = await request(url).get('/auth/whoami').set('Authorization', `Bearer ${before}`);
    expect(res.status).toBe(200);
  }, 90_000);
});
