import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../support/ports';
import { runToExit } from '../support/process';

/**
 * A bad or contradictory configuration stops the real process with exit code 1 and exactly one line on
 * stderr that names the variable and the fix. The rules themselves are unit-tested beside loadConfig;
 * these few cases prove the built service applies them before it starts anything.
 */
describe('boot refuses bad configuration', () => {
  let workdir: string;
  beforeAll(() => {
    workdir = mkdtempSync(join(tmpdir(), 'alphaswarm-boot-'));
  });
  afterAll(() => rmSync(workdir, { recursive: true, force: true }));

  // One refusal per kind (a cross-field rule, a production rule, a value check); every rule is in
  // src/config/app-config.spec.ts, which runs loadConfig without a process.
  const cases: [string, Record<string, string>, string, RegExp][] = [
    [
      'auth0 without an issuer',
      { ALPHASWARM_AUTH_PROVIDER: 'auth0', ALPHASWARM_AUTH_OIDC_AUDIENCE: 'https://api/' },
      'ALPHASWARM_AUTH_OIDC_ISSUER',
      /required with ALPHASWARM_AUTH_PROVIDER=auth0; set it/,
    ],
    [
      'local in production',
      {
        NODE_ENV: 'production',
        REDIS_URL: 'redis://127.0.0.1:6379',
        DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/postgres',
      },
      'ALPHASWARM_AUTH_PROVIDER',
      /local is refused with NODE_ENV=production.*ALPHASWARM_AUTH_ALLOW_LOCAL_IN_PRODUCTION=true/,
    ],
    [
      'an unknown provider',
      { ALPHASWARM_AUTH_PROVIDER: 'okta' },
      'ALPHASWARM_AUTH_PROVIDER',
      /must be one of local \| auth0 \| oidc/,
    ],
  ];

  it.each(cases)('%s', async (_name, env, variable, fix) => {
    const result = await runToExit({ ALPHASWARM_DATA_DIR: join(workdir, 'data'), ...env }, { cwd: workdir });
    expect(result.code).toBe(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^alphaswarm-identity: configuration error: ${variable}: `));
    expect(lines[0]).toMatch(fix);
    expect(result.stdout).not.toContain('listening on');
  });

  it('an unreachable DATABASE_URL stops the boot and never falls back to the embedded database', async () => {
    const port = await freePort();
    const dataDir = join(workdir, 'must-not-exist');
    const result = await runToExit(
      {
        DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/nowhere`,
        ALPHASWARM_DATA_DIR: dataDir,
        PORT: String(await freePort()),
      },
      { cwd: workdir },
    );
    expect(result.code).toBe(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^alphaswarm-identity: configuration error: DATABASE_URL: cannot connect to 127\.0\.0\.1:\d+\/nowhere \(ECONNREFUSED/,
    );
    expect(lines[0]).toContain('the embedded database is never used while DATABASE_URL is set');
    expect(existsSync(dataDir)).toBe(false);
  });
});
