import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../support/ports';
import { runToExit } from '../support/process';

/**
 * A bad or contradictory configuration stops the real process with exit code 1 and exactly one line on
 * stderr that names the variable and the fix.
 */
describe('boot refuses bad configuration', () => {
  let workdir: string;
  beforeAll(() => {
    workdir = mkdtempSync(join(tmpdir(), 'alphaswarm-boot-'));
  });
  afterAll(() => rmSync(workdir, { recursive: true, force: true }));

  const cases: [string, Record<string, string>, string, RegExp][] = [
    [
      'auth0 without an issuer',
      { ALPHASWARM_AUTH_PROVIDER: 'auth0', ALPHASWARM_AUTH_OIDC_AUDIENCE: 'https://api/' },
      'ALPHASWARM_AUTH_OIDC_ISSUER',
      /required with ALPHASWARM_AUTH_PROVIDER=auth0; set it/,
    ],
    [
      'oidc without an audience',
      { ALPHASWARM_AUTH_PROVIDER: 'oidc', ALPHASWARM_AUTH_OIDC_ISSUER: 'https://idp.example.com/' },
      'ALPHASWARM_AUTH_OIDC_AUDIENCE',
      /required with ALPHASWARM_AUTH_PROVIDER=oidc; set it/,
    ],
    [
      'HS256 among the algorithms',
      { ALPHASWARM_AUTH_OIDC_ALGORITHMS: 'RS256,HS256' },
      'ALPHASWARM_AUTH_OIDC_ALGORITHMS',
      /HS256 is refused: only asymmetric/,
    ],
    [
      'none among the algorithms',
      { ALPHASWARM_AUTH_OIDC_ALGORITHMS: 'none' },
      'ALPHASWARM_AUTH_OIDC_ALGORITHMS',
      /none is refused/,
    ],
    [
      'an unknown algorithm',
      { ALPHASWARM_AUTH_OIDC_ALGORITHMS: 'RS1' },
      'ALPHASWARM_AUTH_OIDC_ALGORITHMS',
      /not a supported algorithm/,
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
      'production without Redis',
      { NODE_ENV: 'production', ALPHASWARM_AUTH_ALLOW_LOCAL_IN_PRODUCTION: 'true' },
      'REDIS_URL',
      /required with NODE_ENV=production.*redis:\/\//,
    ],
    [
      'an unknown enforce mode',
      { ALPHASWARM_AUTH_ENFORCE: 'lenient' },
      'ALPHASWARM_AUTH_ENFORCE',
      /must be one of strict \| permissive/,
    ],
    [
      'an unknown provider',
      { ALPHASWARM_AUTH_PROVIDER: 'okta' },
      'ALPHASWARM_AUTH_PROVIDER',
      /must be one of local \| auth0 \| oidc/,
    ],
    [
      'a negative duration',
      { ALPHASWARM_AUTH_CLOCK_SKEW_SECONDS: '-5' },
      'ALPHASWARM_AUTH_CLOCK_SKEW_SECONDS',
      /whole number of seconds/,
    ],
    [
      'a non-numeric duration',
      { ALPHASWARM_AUTH_STEP_UP_DEFAULT_MAX_AGE: '3m' },
      'ALPHASWARM_AUTH_STEP_UP_DEFAULT_MAX_AGE',
      /whole number of seconds/,
    ],
    [
      'a zero retention',
      { ALPHASWARM_AUTH_AUDIT_RETENTION_DAYS: '0' },
      'ALPHASWARM_AUTH_AUDIT_RETENTION_DAYS',
      /whole number of days/,
    ],
    [
      'a boolean that is not one',
      { ALPHASWARM_DB_MIGRATE: 'yes' },
      'ALPHASWARM_DB_MIGRATE',
      /must be one of true \| false/,
    ],
    [
      'a feature that is not implemented yet',
      { ALPHASWARM_AUTH0_DPOP_REQUIRED: 'true' },
      'ALPHASWARM_AUTH0_DPOP_REQUIRED',
      /not implemented in this version; unset it/,
    ],
    [
      'an invite secret too short to be a key',
      { ALPHASWARM_TENANCY_INVITE_SECRET: 'hunter2' },
      'ALPHASWARM_TENANCY_INVITE_SECRET',
      /32 to 512 characters/,
    ],
    [
      'production without an invite secret',
      {
        NODE_ENV: 'production',
        ALPHASWARM_AUTH_ALLOW_LOCAL_IN_PRODUCTION: 'true',
        REDIS_URL: 'redis://127.0.0.1:6379',
        DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/postgres',
      },
      'ALPHASWARM_TENANCY_INVITE_SECRET',
      /required with NODE_ENV=production.*openssl rand -hex 32/,
    ],
    [
      'turning authentication off',
      { ALPHASWARM_AUTH_REQUIRED: 'false' },
      'ALPHASWARM_AUTH_REQUIRED',
      /cannot be turned off.*ALPHASWARM_AUTH_ENFORCE=permissive/,
    ],
    [
      'a client secret for the SPA',
      { ALPHASWARM_AUTH_OIDC_CLIENT_SECRET: 's3cret' },
      'ALPHASWARM_AUTH_OIDC_CLIENT_SECRET',
      /must be empty/,
    ],
    [
      'local clients that are not JSON',
      { ALPHASWARM_AUTH_LOCAL_CLIENTS: 'ci:secret' },
      'ALPHASWARM_AUTH_LOCAL_CLIENTS',
      /JSON array/,
    ],
    [
      'an issuer that is not a URL',
      {
        ALPHASWARM_AUTH_PROVIDER: 'oidc',
        ALPHASWARM_AUTH_OIDC_ISSUER: 'idp.example.com',
        ALPHASWARM_AUTH_OIDC_AUDIENCE: 'x',
      },
      'ALPHASWARM_AUTH_OIDC_ISSUER',
      /absolute http\(s\) URL/,
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
