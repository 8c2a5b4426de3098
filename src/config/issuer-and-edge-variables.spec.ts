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

describe('ALPHASWARM_AUTH_OIDC_ISSUER', () => {
  it.each([
    ['credentials', 'https://user:pw@auth.example.com/'],
    ['a user name alone', 'https://user@auth.example.com/'],
    ['a query', 'https://auth.example.com/?tenant=a'],
    ['an empty query', 'https://auth.example.com/?'],
    ['a fragment', 'https://auth.example.com/#x'],
  ])('refuses an issuer with %s, in one line naming the variable', (_what, issuer) => {
    const providers: Record<string, string>[] = [OIDC, { ALPHASWARM_AUTH_PROVIDER: 'local', PORT: '3000' }];
    for (const provider of providers) {
      const error = refusal({ ...provider, ALPHASWARM_AUTH_OIDC_ISSUER: issuer });
      expect(error.variable).toBe('ALPHASWARM_AUTH_OIDC_ISSUER');
      expect(error.message).toMatch(
        /^ALPHASWARM_AUTH_OIDC_ISSUER: .*without credentials, a query or a fragment/,
      );
      expect(error.message).not.toContain('\n');
      expect(error.message).not.toContain('pw');
    }
  });

  it('accepts a plain issuer, with or without a path', () => {
    for (const issuer of ['https://auth.example.com/', 'https://auth.example.com/realms/a/']) {
      expect(loadConfig({ ...OIDC, ALPHASWARM_AUTH_OIDC_ISSUER: issuer }).auth.issuer).toBe(issuer);
    }
  });
});

describe('variables of the edge check, which is not built yet', () => {
  it.each([
    'ALPHASWARM_TENANT_ROUTER_AUTH_MODE',
    'ALPHASWARM_TENANT_ROUTER_OIDC_ISSUER',
    'ALPHASWARM_TENANT_ROUTER_JWKS_URI',
    'ALPHASWARM_TENANT_ROUTER_CBA_DESTINATION_CELL_ID',
  ])('refuses %s at boot instead of ignoring it', (variable) => {
    const error = refusal({ [variable]: 'required' });
    expect(error.variable).toBe(variable);
    expect(error.message).toMatch(new RegExp(`^${variable}: .*not implemented in this version; unset it$`));
  });

  it('treats an empty value as unset, as for every other variable', () => {
    expect(() => loadConfig({ ALPHASWARM_TENANT_ROUTER_AUTH_MODE: ' ' })).not.toThrow();
  });
});
