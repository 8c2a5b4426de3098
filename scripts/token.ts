/**
 * `npm run token -- --sub 'auth0|alice' --permissions read:portfolio,admin:tenant --org <id> --amr mfa`
 * (`--dpop-jkt <thumbprint>` binds the token to a DPoP key: docs/dpop.md)
 *
 * Prints an access token from the running service's local issuer (POST /auth/local/login). The service
 * holds the signing key and the embedded database, so the command asks it rather than opening either.
 * Refused under any provider other than `local`.
 */
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../src/config/app-config';

const USAGE =
  'usage: npm run --silent token -- [--sub S] [--permissions a,b] [--org ID] [--workspace ID] [--team ID] ' +
  '[--roles r1,r2] [--amr mfa,pwd] [--auth-time SECONDS] [--expires-in SECONDS] [--email E] [--dpop-jkt THUMBPRINT] [--url http://127.0.0.1:3000]';

function fail(message: string): never {
  process.stderr.write(`npm run token: ${message}\n`);
  process.exit(1);
}

const csv = (value?: string) =>
  value === undefined
    ? undefined
    : value
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== '');

const int = (name: string, value?: string) => {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) fail(`--${name} must be a whole number of seconds`);
  return Number(value);
};

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    fail(error instanceof ConfigError ? `configuration error: ${error.message}` : String(error));
  }
  if (config.auth.provider !== 'local') {
    fail(
      `only available with ALPHASWARM_AUTH_PROVIDER=local (it is ${config.auth.provider}); get tokens from your IdP`,
    );
  }

  let values;
  try {
    ({ values } = parseArgs({
      options: {
        sub: { type: 'string' },
        permissions: { type: 'string' },
        org: { type: 'string' },
        workspace: { type: 'string' },
        team: { type: 'string' },
        roles: { type: 'string' },
        amr: { type: 'string' },
        'auth-time': { type: 'string' },
        'expires-in': { type: 'string' },
        email: { type: 'string' },
        'dpop-jkt': { type: 'string' },
        url: { type: 'string' },
        help: { type: 'boolean' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    fail(`${(error as Error).message}\n${USAGE}`);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }

  const url = values.url ?? `http://127.0.0.1:${config.http.port}`;
  const body = {
    sub: values.sub,
    permissions: csv(values.permissions),
    org_id: values.org,
    workspace_id: values.workspace,
    team_id: values.team,
    roles: csv(values.roles),
    amr: csv(values.amr),
    auth_time: int('auth-time', values['auth-time']),
    expires_in: int('expires-in', values['expires-in']),
    email: values.email,
    dpop_jkt: values['dpop-jkt'],
  };
  let response: Response;
  try {
    response = await fetch(`${url}/auth/local/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
  } catch {
    fail(`no service answers at ${url}; start it with npm start (or pass --url)`);
  }
  const answer = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (!response.ok || typeof answer.access_token !== 'string') {
    const text = (value: unknown) => (typeof value === 'string' ? value : '');
    fail(
      `the service refused: ${response.status} ${text(answer.reason)} ${text(answer.error_description)}`.trim(),
    );
  }
  process.stdout.write(`${answer.access_token}\n`);
}

void main();
