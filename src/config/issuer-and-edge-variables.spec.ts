import { ConfigError, loadConfig } from './app-config';

const OIDC = {
  ALPHASWARM_AUTH_PROVIDER: 'oidc',
  ALPHASWARM_AUTH_OIDC_AUDIENCE: 'https://api.example.com/',
  DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/alphaswarm',
};

function refusal(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('the configuration was accepted');
}

/** URLs that name an issuer or the service but are not plain: each must stop the boot. */
const NOT_PLAIN = [
  ['credentials', 'https://user:pw@auth.example.com/'],
  ['a user name alone', 'https://user@auth.example.com/'],
  ['a query', 'https://auth.example.com/?tenant=a'],
  ['an empty query', 'https://auth.example.com/?'],
  ['a fragment', 'https://auth.example.com/#x'],
  ['an empty fragment', 'https://auth.example.com/#'],
];

/** One line naming the variable and the fix, without echoing the password it was given. */
function expectPlainUrlRefusal(error: ConfigError, variable: string): void {
  expect(error.variable).toBe(variable);
  expect(error.message).toMatch(new RegExp(`^${variable}: .*without credentials, a query or a fragment`));
  expect(error.message).not.toContain('\n');
  expect(error.message).not.toContain('pw');
}

describe('ALPHASWARM_AUTH_OIDC_ISSUER', () => {
  it.each(NOT_PLAIN)('refuses an issuer with %s, in one line naming the variable', (_what, issuer) => {
    const providers: Record<string, string>[] = [OIDC, { ALPHASWARM_AUTH_PROVIDER: 'local', PORT: '3000' }];
    for (const provider of providers) {
      expectPlainUrlRefusal(
        refusal({ ...provider, ALPHASWARM_AUTH_OIDC_ISSUER: issuer }),
        'ALPHASWARM_AUTH_OIDC_ISSUER',
      );
    }
  });

  it('accepts a plain issuer, with or without a path', () => {
    for (const issuer of ['https://auth.example.com/', 'https://auth.example.com/realms/a/']) {
      expect(loadConfig({ ...OIDC, ALPHASWARM_AUTH_OIDC_ISSUER: issuer }).auth.issuer).toBe(issuer);
    }
  });
});

describe('variables of the edge check', () => {
  const EDGE = {
    ALPHASWARM_TENANT_ROUTER_AUTH_MODE: 'required',
    ALPHASWARM_TENANT_ROUTER_OIDC_ISSUER: 'https://tenant.us.auth0.com/',
    ALPHASWARM_TENANT_ROUTER_OIDC_AUDIENCE: 'https://api.alphaswarm.internal/manage',
    ALPHASWARM_TENANT_ROUTER_CELLS_URL: 'http://127.0.0.1:8081/manage/cells',
  };

  it.each(NOT_PLAIN)('refuses an OIDC_ISSUER with %s, in one line naming the variable', (_what, issuer) => {
    expectPlainUrlRefusal(
      refusal({ ...EDGE, ALPHASWARM_TENANT_ROUTER_OIDC_ISSUER: issuer }),
      'ALPHASWARM_TENANT_ROUTER_OIDC_ISSUER',
    );
  });

  it('mounts nothing while AUTH_MODE is unset', () => {
    expect(loadConfig({}).edge).toBeUndefined();
  });

  it.each([
    'ALPHASWARM_TENANT_ROUTER_OIDC_ISSUER',
    'ALPHASWARM_TENANT_ROUTER_JWKS_URI',
    'ALPHASWARM_TENANT_ROUTER_CBA_DESTINATION_CELL_ID',
  ])('refuses %s without AUTH_MODE instead of ignoring it', (variable) => {
    const value = variable.endsWith('CELL_ID') ? 'cell-a' : 'https://tenant.us.auth0.com/';
    const error = refusal({ [variable]: value });
    expect(error.variable).toBe(variable);
    expect(error.message).toMatch(
      /edge check, which is off; set ALPHASWARM_TENANT_ROUTER_AUTH_MODE=required/,
    );
  });

  it('refuses a name under the prefix that this version does not know (a typo)', () => {
    const error = refusal({ ...EDGE, ALPHASWARM_TENANT_ROUTER_AUTH_MOD: 'required' });
    expect(error.variable).toBe('ALPHASWARM_TENANT_ROUTER_AUTH_MOD');
  });

  it('treats an empty value as unset, as for every other variable', () => {
    expect(() => loadConfig({ ALPHASWARM_TENANT_ROUTER_AUTH_MODE: ' ' })).not.toThrow();
  });

  it.each([
    ['required', 'ALPHASWARM_TENANT_ROUTER_OIDC_ISSUER'],
    ['permissive', 'ALPHASWARM_TENANT_ROUTER_OIDC_ISSUER'],
    ['required', 'ALPHASWARM_TENANT_ROUTER_OIDC_AUDIENCE'],
  ])('requires an issuer and an audience in %s mode (%s)', (mode, missing) => {
    const env: Record<string, string> = { ...EDGE, ALPHASWARM_TENANT_ROUTER_AUTH_MODE: mode };
    delete env[missing];
    const error = refusal(env);
    expect(error.variable).toBe(missing);
    expect(error.message).toMatch(/required with ALPHASWARM_TENANT_ROUTER_AUTH_MODE=/);
  });

  it.each(['HS256', 'none', 'RS256,HS512'])('refuses %s in OIDC_ALGORITHMS', (algorithms) => {
    const error = refusal({ ...EDGE, ALPHASWARM_TENANT_ROUTER_OIDC_ALGORITHMS: algorithms });
    expect(error.variable).toBe('ALPHASWARM_TENANT_ROUTER_OIDC_ALGORITHMS');
    expect(error.message).toMatch(/refused: only asymmetric algorithms/);
  });

  it('refuses disabled without ALLOW_INSECURE, and in production even with it', () => {
    const disabled = {
      ALPHASWARM_TENANT_ROUTER_AUTH_MODE: 'disabled',
      ALPHASWARM_TENANT_ROUTER_CBA_DESTINATION_CELL_ID: 'cell-a',
    };
    expect(refusal(disabled).message).toMatch(
      /^ALPHASWARM_TENANT_ROUTER_AUTH_MODE: disabled lets every request/,
    );
    const insecure = { ...disabled, ALPHASWARM_TENANT_ROUTER_ALLOW_INSECURE: 'true' };
    expect(loadConfig(insecure).edge?.mode).toBe('disabled');
    const production = {
      ...insecure,
      ...OIDC,
      ALPHASWARM_AUTH_OIDC_ISSUER: 'https://auth.example.com/',
      NODE_ENV: 'production',
      REDIS_URL: 'redis://127.0.0.1:6379',
      ALPHASWARM_TENANCY_INVITE_SECRET: 'x'.repeat(32),
      ALPHASWARM_CREDENTIALS_KEKS: `k1:${Buffer.alloc(32, 1).toString('base64')}`,

      ALPHASWARM_AUTH0_LOG_STREAM_SECRET: 'f3a9c1e07b5d2846af19e0c7d3b5a2f8',
    };
    expect(refusal(production).message).toMatch(/disabled is refused with NODE_ENV=production/);
  });

  it('needs somewhere to route to: a cells registry or a pinned cell', () => {
    const env: Record<string, string> = { ...EDGE };
    delete env.ALPHASWARM_TENANT_ROUTER_CELLS_URL;
    expect(refusal(env).variable).toBe('ALPHASWARM_TENANT_ROUTER_CELLS_URL');
    const pinned = { ...env, ALPHASWARM_TENANT_ROUTER_CBA_DESTINATION_CELL_ID: 'cell-a' };
    expect(loadConfig(pinned).edge?.cba.destinationCellId).toBe('cell-a');
  });

  it.each(['/ext_authz/v3', '/ext_authz', '/tenancy', '/auth/http'])(
    'refuses the HTTP prefix %s (it would swallow the JSON form or shadow the API)',
    (prefix) => {
      const error = refusal({ ...EDGE, ALPHASWARM_TENANT_ROUTER_HTTP_PATH_PREFIX: prefix });
      expect(error.variable).toBe('ALPHASWARM_TENANT_ROUTER_HTTP_PATH_PREFIX');
    },
  );

  it('refuses a gRPC port that HTTP already holds', () => {
    const error = refusal({ ...EDGE, PORT: '8080', ALPHASWARM_TENANT_ROUTER_GRPC_PORT: '8080' });
    expect(error.message).toMatch(/^ALPHASWARM_TENANT_ROUTER_GRPC_PORT: is PORT \(8080\)/);
  });

  it('derives the JWKS URI from the issuer, as the runbook says', () => {
    expect(loadConfig(EDGE).edge).toMatchObject({
      mode: 'required',
      jwksUri: 'https://tenant.us.auth0.com/.well-known/jwks.json',
      algorithms: ['RS256'],
      grpcPort: 9191,
      httpPathPrefix: '/ext_authz/http',
      cba: { mode: 'enforce' },
    });
  });
});

describe('ALPHASWARM_PUBLIC_URL', () => {
  it.each(NOT_PLAIN)('refuses a public URL with %s, in one line naming the variable', (_what, url) => {
    expectPlainUrlRefusal(refusal({ ALPHASWARM_PUBLIC_URL: url }), 'ALPHASWARM_PUBLIC_URL');
  });

  it('accepts a plain public URL, with or without a path', () => {
    expect(loadConfig({ ALPHASWARM_PUBLIC_URL: 'https://api.example.com' }).http.publicUrl).toBe(
      'https://api.example.com',
    );
    expect(loadConfig({ ALPHASWARM_PUBLIC_URL: 'https://api.example.com/identity/' }).http.publicUrl).toBe(
      'https://api.example.com/identity',
    );
  });
});
