import { type AppConfig, ConfigError, loadConfig } from './app-config';

type EnvSource = Record<string, string | undefined>;

/** The refusal `loadConfig` throws for `env`; fails the test when the configuration is accepted. */
function refusalOf(env: EnvSource): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

/** A production configuration that boots; each production refusal below removes or breaks one part. */
const PRODUCTION: EnvSource = {
  NODE_ENV: 'production',
  ALPHASWARM_AUTH_PROVIDER: 'oidc',
  ALPHASWARM_AUTH_OIDC_ISSUER: 'https://idp.example.com/',
  ALPHASWARM_AUTH_OIDC_AUDIENCE: 'https://api.example.com/',
  REDIS_URL: 'redis://127.0.0.1:6379',
  DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/postgres',
  ALPHASWARM_TENANCY_INVITE_SECRET: 'a'.repeat(64),
  ALPHASWARM_CREDENTIALS_KEKS: `k1:${Buffer.alloc(32, 7).toString('base64')}`,

  ALPHASWARM_AUTH0_LOG_STREAM_SECRET: '3f9c2a7be41d58f06a9e1c3b7d2f4a60c8e5b1d79a3f6c2e0b4d8a1f7c3e9b52',
};

describe(loadConfig.name, () => {
  describe('defaults', () => {
    let sut: AppConfig;
    beforeAll(() => {
      sut = loadConfig({});
    });

    it('runs a local development service on 127.0.0.1:3000 that is its own issuer', () => {
      expect(sut.nodeEnv).toBe('development');
      expect(sut.http).toEqual({ port: 3000, host: '127.0.0.1', publicUrl: 'http://127.0.0.1:3000' });
      expect(sut.auth.provider).toBe('local');
      expect(sut.auth.issuer).toBe('http://127.0.0.1:3000/');
      expect(sut.auth.audience).toBe('https://api.alphaswarm.local/');
      expect(sut.auth.jwksUri).toBe('http://127.0.0.1:3000/.well-known/jwks.json');
    });

    it('validates tokens strictly with RS256, 30 s of skew and the alphaswarm claim namespace', () => {
      expect(sut.auth.enforce).toBe('strict');
      expect(sut.auth.algorithms).toEqual(['RS256']);
      expect(sut.auth.clockSkewSeconds).toBe(30);
      expect(sut.auth.claimNamespaces).toEqual(['https://alphaswarm.internal/']);
      expect(sut.auth.spaClientId).toBeUndefined();
      expect(sut.auth.m2mEnabled).toBe(true);
      expect(sut.auth.m2mAudience).toBe(sut.auth.audience);
      expect(sut.auth.stepUp).toEqual({ enabled: true, defaultMaxAgeSeconds: 180 });
      expect(sut.auth.dpop).toMatchObject({ enabled: false, required: false, routeEnforcement: false });
      expect(sut.auth.dpop.nonce.enabled).toBe(false);
      expect(sut.auth.local).toEqual({ tokenTtlSeconds: 3600, m2mTokenTtlSeconds: 900, clients: [] });
    });

    it('uses the embedded database, in-process jobs, migrations at boot and info logs', () => {
      expect(sut.database).toEqual({ url: undefined, dataDir: '.data', migrate: true });
      expect(sut.redis).toEqual({ url: undefined });
      expect(sut.jobs).toEqual({ queuePrefix: 'alphaswarm' });
      expect(sut.logLevel).toBe('info');
    });

    it('keeps a year of audit, a week of invites, hybrid tenancy and permissive row-level policies', () => {
      expect(sut.audit).toEqual({ enabled: true, retentionDays: 365 });
      expect(sut.tenancy.inviteTtlSeconds).toBe(604800);
      expect(sut.tenancy.defaultStrategy).toBe('hybrid');
      expect(sut.tenancy.rlsEnforce).toBe('off');
      // Under local the MCP servers are addressed below the issuer, never below a request's Host.
      expect(sut.mcp).toMatchObject({
        dataCanonicalUri: 'http://127.0.0.1:3000/mcp/data',
        codebaseCanonicalUri: 'http://127.0.0.1:3000/mcp/codebase',
        requireRfc8707: 'off',
        codebase: { root: undefined, maxFileBytes: 262144 },
        upstream: undefined,
      });
      expect([...sut.mcp.allowedOrigins]).toEqual(['http://127.0.0.1:3000']);
      expect(sut.auth.agentTokenExchange).toEqual({ enabled: false });
      expect(sut.cli.allowPlaintextFallback).toBe(false);
      expect(sut.logStream).toEqual({ maxAgeSeconds: 86400 });
    });

    it('is frozen all the way down', () => {
      expect(Object.isFrozen(sut)).toBe(true);
      expect(Object.isFrozen(sut.auth.stepUp)).toBe(true);
      expect(Object.isFrozen(sut.auth.algorithms)).toBe(true);
      expect(() => {
        (sut.http as { port: number }).port = 1;
      }).toThrow(TypeError);
    });
  });

  describe('reading values', () => {
    it('treats empty and blank values as unset and trims the others', () => {
      const sut = loadConfig({ PORT: ' 4000 ', NODE_ENV: '', ALPHASWARM_AUTH_PROVIDER: '   ' });
      expect(sut.http.port).toBe(4000);
      expect(sut.nodeEnv).toBe('development');
      expect(sut.auth.provider).toBe('local');
    });

    it('ignores variables it does not know', () => {
      expect(() => loadConfig({ PATH: '/usr/bin', ALPHASWARM_NOT_A_SETTING: 'x' })).not.toThrow();
    });

    it('binds 0.0.0.0 under an external IdP and HOST wins over either default', () => {
      expect(loadConfig(PRODUCTION).http.host).toBe('0.0.0.0');
      expect(loadConfig({ HOST: '::1' }).http.host).toBe('::1');
    });

    it('reads the log-stream secret; without one outside production the webhook has none to match', () => {
      expect(loadConfig(PRODUCTION).logStream.secret).toBe(PRODUCTION.ALPHASWARM_AUTH0_LOG_STREAM_SECRET);
      expect(loadConfig({}).logStream.secret).toBeUndefined();
    });

    it('addresses back-channel logout tokens to the listed clients, else to the SPA client, else to none', () => {
      const listed = loadConfig({ ALPHASWARM_AUTH_BACKCHANNEL_CLIENT_IDS: 'web, cli' });
      expect([...listed.backchannelLogout.clientIds]).toEqual(['web', 'cli']);
      const spa = loadConfig({ ALPHASWARM_AUTH_OIDC_CLIENT_ID: 'spa-client' });
      expect([...spa.backchannelLogout.clientIds]).toEqual(['spa-client']);
      expect(loadConfig({}).backchannelLogout.clientIds.size).toBe(0);
    });

    it('derives the JWKS location from the issuer, with or without its trailing slash', () => {
      const sut = loadConfig({ ...PRODUCTION, ALPHASWARM_AUTH_OIDC_ISSUER: 'https://idp.example.com' });
      expect(sut.auth.issuer).toBe('https://idp.example.com');
      expect(sut.auth.jwksUri).toBe('https://idp.example.com/.well-known/jwks.json');
    });

    it('keeps an explicit JWKS location', () => {
      const jwks = 'https://keys.example.com/jwks';
      expect(loadConfig({ ...PRODUCTION, ALPHASWARM_AUTH_JWKS_URI: jwks }).auth.jwksUri).toBe(jwks);
    });

    it('reads an algorithm CSV with spaces and repeats as a set', () => {
      const sut = loadConfig({ ALPHASWARM_AUTH_OIDC_ALGORITHMS: 'RS256, ES256,RS256,,PS512' });
      expect(sut.auth.algorithms).toEqual(['RS256', 'ES256', 'PS512']);
    });

    it('accepts EdDSA among the algorithms', () => {
      expect(loadConfig({ ALPHASWARM_AUTH_OIDC_ALGORITHMS: 'RS256,EdDSA' }).auth.algorithms).toEqual([
        'RS256',
        'EdDSA',
      ]);
    });

    it('lists the primary claim namespace first, then the aliases, each once and ending with a slash', () => {
      const sut = loadConfig({
        ALPHASWARM_AUTH_CLAIMS_NAMESPACE: 'https://alphaswarm.io',
        ALPHASWARM_AUTH_CLAIMS_NAMESPACE_ALIASES: 'https://legacy.example/ns, https://alphaswarm.io/,',
      });
      expect(sut.auth.claimNamespaces).toEqual(['https://alphaswarm.io/', 'https://legacy.example/ns/']);
    });

    it('accepts the M2M audience separately from the API audience', () => {
      const sut = loadConfig({ ALPHASWARM_AUTH_M2M_AUDIENCE: 'https://m2m.example/' });
      expect(sut.auth.m2mAudience).toBe('https://m2m.example/');
      expect(sut.auth.audience).toBe('https://api.alphaswarm.local/');
    });

    it('reads booleans as true/1 and false/0', () => {
      expect(loadConfig({ ALPHASWARM_DB_MIGRATE: '0' }).database.migrate).toBe(false);
      expect(loadConfig({ ALPHASWARM_DB_MIGRATE: '1' }).database.migrate).toBe(true);
      expect(loadConfig({ ALPHASWARM_AUTH_M2M_ENABLED: 'false' }).auth.m2mEnabled).toBe(false);
      expect(
        loadConfig({ ALPHASWARM_CLI_AUTH_ALLOW_PLAINTEXT_FALLBACK: '1' }).cli.allowPlaintextFallback,
      ).toBe(true);
    });

    it('reads the internal client list as a set, and refuses a value that is not a client id', () => {
      expect([...loadConfig({}).auth.internalClientIds]).toEqual([]);
      expect([
        ...loadConfig({ ALPHASWARM_AUTH_INTERNAL_CLIENT_IDS: 'a1, b2,,a1' }).auth.internalClientIds,
      ]).toEqual(['a1', 'b2']);
      expect(() => loadConfig({ ALPHASWARM_AUTH_INTERNAL_CLIENT_IDS: 'ok,has space' })).toThrow(
        /^ALPHASWARM_AUTH_INTERNAL_CLIENT_IDS: .*CSV of client ids/,
      );
    });

    it('reads local client_credentials clients', () => {
      const sut = loadConfig({
        ALPHASWARM_AUTH_LOCAL_CLIENTS: JSON.stringify([
          { client_id: 'ci', client_secret: 'sixteen-chars-ok', permissions: ['admin:tenant'] },
        ]),
      });
      expect(sut.auth.local.clients).toEqual([
        { clientId: 'ci', clientSecret: 'sixteen-chars-ok', permissions: ['admin:tenant'] },
      ]);
    });

    it('keys invites with the configured secret, or with a fresh random key per process', () => {
      const secret = 'b'.repeat(40);
      const configured = loadConfig({ ALPHASWARM_TENANCY_INVITE_SECRET: secret }).tenancy.inviteSecret;
      expect(configured.export().toString('utf8')).toBe(secret);
      const first = loadConfig({}).tenancy.inviteSecret.export();
      const second = loadConfig({}).tenancy.inviteSecret.export();
      expect(first).toHaveLength(32);
      expect(first.equals(second)).toBe(false);
    });

    it('boots in production with an external IdP, Redis, Postgres and an invite secret', () => {
      const sut = loadConfig(PRODUCTION);
      expect(sut.nodeEnv).toBe('production');
      expect(sut.auth.provider).toBe('oidc');
      expect(sut.redis.url).toBe('redis://127.0.0.1:6379');
    });

    it('accepts plain http in production only to a loopback issuer', () => {
      const sut = loadConfig({ ...PRODUCTION, ALPHASWARM_AUTH_OIDC_ISSUER: 'http://127.0.0.1:8080/' });
      expect(sut.auth.jwksUri).toBe('http://127.0.0.1:8080/.well-known/jwks.json');
    });

    it('accepts the local provider in production when explicitly allowed', () => {
      const sut = loadConfig({
        ...PRODUCTION,
        ALPHASWARM_AUTH_PROVIDER: 'local',
        ALPHASWARM_AUTH_OIDC_ISSUER: undefined,
        ALPHASWARM_AUTH_ALLOW_LOCAL_IN_PRODUCTION: 'true',
      });
      expect(sut.auth.provider).toBe('local');
    });
  });

  /**
   * Each refusal is one line: the variable, what is wrong, and the fix. `main.ts` prints it after
   * `alphaswarm-identity: configuration error: ` and exits 1 (test/config/boot-config.e2e-spec.ts).
   */
  describe('DPoP', () => {
    it('reads the switches, the proof rules and the public URL clients call', () => {
      const sut = loadConfig({
        ...PRODUCTION,
        ALPHASWARM_AUTH0_DPOP_ENABLED: 'true',
        ALPHASWARM_AUTH0_DPOP_REQUIRED: 'true',
        ALPHASWARM_DPOP_ENFORCEMENT_ENABLED: '1',
        ALPHASWARM_DPOP_ALGORITHMS: 'ES256, EdDSA',
        ALPHASWARM_DPOP_PROOF_MAX_AGE_SECONDS: '30',
        ALPHASWARM_DPOP_CLOCK_SKEW_SECONDS: '2',
        ALPHASWARM_DPOP_JTI_MAX_LENGTH: '64',
        ALPHASWARM_PUBLIC_URL: 'https://API.example.com:443/identity/',
        ALPHASWARM_DPOP_NONCE_ENABLED: 'true',
        ALPHASWARM_DPOP_NONCE_SECRET: 'n'.repeat(40),
        ALPHASWARM_DPOP_NONCE_WINDOW_SECONDS: '120',
      });
      expect(sut.auth.dpop).toMatchObject({
        enabled: true,
        required: true,
        routeEnforcement: true,
        algorithms: ['ES256', 'EdDSA'],
        proofMaxAgeSeconds: 30,
        clockSkewSeconds: 2,
        jtiMaxLength: 64,
        nonce: { enabled: true, windowSeconds: 120 },
      });
      expect(sut.auth.dpop.nonce.secret.export().toString()).toBe('n'.repeat(40));
      // Normalised once: lower-case host, no default port, no trailing slash.
      expect(sut.http.publicUrl).toBe('https://api.example.com/identity');
    });

    it('defaults to asymmetric proofs of at most a minute, 5 s of skew and 128-character jti values', () => {
      const { dpop } = loadConfig({}).auth;
      expect(dpop.algorithms).toEqual(['ES256', 'PS256', 'RS256', 'EdDSA']);
      expect([dpop.proofMaxAgeSeconds, dpop.clockSkewSeconds, dpop.jtiMaxLength]).toEqual([60, 5, 128]);
      expect(dpop.nonce.windowSeconds).toBe(300);
    });

    it("takes the local issuer's own URL as the public URL under the local provider", () => {
      expect(loadConfig({ PORT: '4000', ALPHASWARM_AUTH0_DPOP_ENABLED: 'true' }).http.publicUrl).toBe(
        'http://127.0.0.1:4000',
      );
    });
  });

  describe('refusals', () => {
    const cases: [string, EnvSource, string, RegExp][] = [
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
        { ALPHASWARM_AUTH_MSAL_B2B_ENABLED: 'true' },
        'ALPHASWARM_AUTH_MSAL_B2B_ENABLED',
        /not implemented in this version; unset it/,
      ],
      [
        'DPoP required while DPoP is off',
        { ALPHASWARM_AUTH0_DPOP_REQUIRED: 'true' },
        'ALPHASWARM_AUTH0_DPOP_REQUIRED',
        /needs ALPHASWARM_AUTH0_DPOP_ENABLED=true/,
      ],
      [
        'per-route DPoP enforcement while DPoP is off',
        { ALPHASWARM_DPOP_ENFORCEMENT_ENABLED: 'true' },
        'ALPHASWARM_DPOP_ENFORCEMENT_ENABLED',
        /needs ALPHASWARM_AUTH0_DPOP_ENABLED=true/,
      ],
      [
        'DPoP nonces while DPoP is off',
        { ALPHASWARM_DPOP_NONCE_ENABLED: 'true' },
        'ALPHASWARM_DPOP_NONCE_ENABLED',
        /needs ALPHASWARM_AUTH0_DPOP_ENABLED=true/,
      ],
      [
        'an HMAC algorithm for DPoP proofs',
        { ALPHASWARM_DPOP_ALGORITHMS: 'ES256,HS256' },
        'ALPHASWARM_DPOP_ALGORITHMS',
        /HS256 is refused/,
      ],
      [
        'DPoP proofs signed with none',
        { ALPHASWARM_DPOP_ALGORITHMS: 'none' },
        'ALPHASWARM_DPOP_ALGORITHMS',
        /none is refused/,
      ],
      [
        'a DPoP jti bound too large',
        { ALPHASWARM_DPOP_JTI_MAX_LENGTH: '10240' },
        'ALPHASWARM_DPOP_JTI_MAX_LENGTH',
        /from 16 to 1024/,
      ],
      [
        'DPoP under an IdP without the public URL proofs must name',
        { ...PRODUCTION, ALPHASWARM_AUTH0_DPOP_ENABLED: 'true' },
        'ALPHASWARM_PUBLIC_URL',
        /required with ALPHASWARM_AUTH0_DPOP_ENABLED=true/,
      ],
      [
        'a public URL with a query',
        { ALPHASWARM_PUBLIC_URL: 'https://api.example.com/?x=1' },
        'ALPHASWARM_PUBLIC_URL',
        /without credentials, a query or a fragment/,
      ],
      [
        'a plain-http public URL in production',
        { ...PRODUCTION, ALPHASWARM_PUBLIC_URL: 'http://api.example.com' },
        'ALPHASWARM_PUBLIC_URL',
        /must be an https:\/\/ URL with NODE_ENV=production/,
      ],
      [
        'DPoP nonces in production without a shared key',
        {
          ...PRODUCTION,
          ALPHASWARM_PUBLIC_URL: 'https://api.example.com',
          ALPHASWARM_AUTH0_DPOP_ENABLED: 'true',
          ALPHASWARM_DPOP_NONCE_ENABLED: 'true',
        },
        'ALPHASWARM_DPOP_NONCE_SECRET',
        /required with ALPHASWARM_DPOP_NONCE_ENABLED=true and NODE_ENV=production/,
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
      // Beyond the cases the boot test once ran one process each for:
      [
        'production without a database',
        { ...PRODUCTION, DATABASE_URL: undefined },
        'DATABASE_URL',
        /required with NODE_ENV=production: the embedded database is for development/,
      ],
      [
        'a plain-http issuer in production',
        { ...PRODUCTION, ALPHASWARM_AUTH_OIDC_ISSUER: 'http://idp.example.com/' },
        'ALPHASWARM_AUTH_OIDC_ISSUER',
        /must be an https:\/\/ URL with NODE_ENV=production/,
      ],
      [
        'a plain-http JWKS location in production',
        { ...PRODUCTION, ALPHASWARM_AUTH_JWKS_URI: 'http://keys.example.com/jwks' },
        'ALPHASWARM_AUTH_JWKS_URI',
        /must be an https:\/\/ URL with NODE_ENV=production/,
      ],
      ['a port above 65535', { PORT: '70000' }, 'PORT', /must be a port number between 0 and 65535/],
      ['a port that is not a number', { PORT: 'http' }, 'PORT', /must be a port number, e.g. 3000/],
      [
        'the local provider on port 0 without an issuer',
        { PORT: '0' },
        'ALPHASWARM_AUTH_OIDC_ISSUER',
        /required under the local provider when PORT=0/,
      ],
      [
        'an empty algorithm list',
        { ALPHASWARM_AUTH_OIDC_ALGORITHMS: ' , ' },
        'ALPHASWARM_AUTH_OIDC_ALGORITHMS',
        /is empty; set it to RS256/,
      ],
      [
        'EdDSA spelled in lower case',
        { ALPHASWARM_AUTH_OIDC_ALGORITHMS: 'eddsa' },
        'ALPHASWARM_AUTH_OIDC_ALGORITHMS',
        /eddsa is not a supported algorithm/,
      ],
      [
        'HS256 in lower case',
        { ALPHASWARM_AUTH_OIDC_ALGORITHMS: 'hs256' },
        'ALPHASWARM_AUTH_OIDC_ALGORITHMS',
        /hs256 is refused/,
      ],
      [
        'local clients under an external IdP',
        {
          ...PRODUCTION,
          ALPHASWARM_AUTH_LOCAL_CLIENTS: JSON.stringify([
            { client_id: 'ci', client_secret: 'sixteen-chars-ok', permissions: [] },
          ]),
        },
        'ALPHASWARM_AUTH_LOCAL_CLIENTS',
        /only the local provider issues client_credentials tokens; unset it under ALPHASWARM_AUTH_PROVIDER=oidc/,
      ],
      [
        'a local client with a short secret',
        {
          ALPHASWARM_AUTH_LOCAL_CLIENTS: JSON.stringify([
            { client_id: 'ci', client_secret: 'short', permissions: [] },
          ]),
        },
        'ALPHASWARM_AUTH_LOCAL_CLIENTS',
        /16\+ characters/,
      ],
      [
        'two local clients with one id',
        {
          ALPHASWARM_AUTH_LOCAL_CLIENTS: JSON.stringify([
            { client_id: 'ci', client_secret: 'sixteen-chars-ok', permissions: [] },
            { client_id: 'ci', client_secret: 'another-16-chars', permissions: [] },
          ]),
        },
        'ALPHASWARM_AUTH_LOCAL_CLIENTS',
        /JSON array/,
      ],
      [
        'local clients as an object',
        { ALPHASWARM_AUTH_LOCAL_CLIENTS: '{"client_id":"ci"}' },
        'ALPHASWARM_AUTH_LOCAL_CLIENTS',
        /JSON array/,
      ],
      [
        'a local client whose permissions are not strings',
        {
          ALPHASWARM_AUTH_LOCAL_CLIENTS: JSON.stringify([
            { client_id: 'ci', client_secret: 'sixteen-chars-ok', permissions: [1] },
          ]),
        },
        'ALPHASWARM_AUTH_LOCAL_CLIENTS',
        /JSON array/,
      ],
      [
        'a claim namespace alias that is not a URL',
        { ALPHASWARM_AUTH_CLAIMS_NAMESPACE_ALIASES: 'https://ok.example/,legacy' },
        'ALPHASWARM_AUTH_CLAIMS_NAMESPACE_ALIASES',
        /"legacy" is not a URL/,
      ],
      [
        'a zero token lifetime',
        { ALPHASWARM_AUTH_LOCAL_TOKEN_TTL_SECONDS: '0' },
        'ALPHASWARM_AUTH_LOCAL_TOKEN_TTL_SECONDS',
        /must be at least 1 second/,
      ],
      [
        'a zero M2M token lifetime',
        { ALPHASWARM_AUTH_M2M_TOKEN_TTL_SECONDS: '0' },
        'ALPHASWARM_AUTH_M2M_TOKEN_TTL_SECONDS',
        /must be at least 1 second/,
      ],
      [
        'a log-stream secret too short to be a key',
        { ALPHASWARM_AUTH0_LOG_STREAM_SECRET: 'whsec' },
        'ALPHASWARM_AUTH0_LOG_STREAM_SECRET',
        /32 to 512 printable characters.*openssl rand -hex 32/,
      ],
      [
        'a long but predictable log-stream secret',
        { ALPHASWARM_AUTH0_LOG_STREAM_SECRET: 'ab'.repeat(32) },
        'ALPHASWARM_AUTH0_LOG_STREAM_SECRET',
        /too predictable/,
      ],
      [
        'production without a log-stream secret',
        { ...PRODUCTION, ALPHASWARM_AUTH0_LOG_STREAM_SECRET: undefined },
        'ALPHASWARM_AUTH0_LOG_STREAM_SECRET',
        /required with NODE_ENV=production.*openssl rand -hex 32/,
      ],
      [
        'a back-channel logout client id list with a non-id in it',
        { ALPHASWARM_AUTH_BACKCHANNEL_CLIENT_IDS: 'spa-client,not a client' },
        'ALPHASWARM_AUTH_BACKCHANNEL_CLIENT_IDS',
        /CSV of client ids/,
      ],
      [
        'strict RFC 8707 audiences without a canonical URI to compare with',
        {
          ALPHASWARM_AUTH_PROVIDER: 'oidc',
          ALPHASWARM_AUTH_OIDC_ISSUER: 'https://idp.example.com/',
          ALPHASWARM_AUTH_OIDC_AUDIENCE: 'https://api.example.com/',
          ALPHASWARM_MCP_REQUIRE_RFC8707: 'strict',
        },
        'ALPHASWARM_MCP_DATA_CANONICAL_URI',
        /required with ALPHASWARM_MCP_REQUIRE_RFC8707=strict/,
      ],
      [
        'agent token exchange under auth0 without the broker client',
        {
          ALPHASWARM_AUTH_PROVIDER: 'auth0',
          ALPHASWARM_AUTH_OIDC_ISSUER: 'https://tenant.auth0.com/',
          ALPHASWARM_AUTH_OIDC_AUDIENCE: 'https://api.example.com/',
          ALPHASWARM_AUTH_AGENT_TOKEN_EXCHANGE_ENABLED: 'true',
        },
        'ALPHASWARM_AUTH_AGENT_BROKER_CLIENT_ID',
        /alphaswarm-agent-broker/,
      ],
      [
        'the broker client secret in the environment in production',
        {
          ...PRODUCTION,
          ALPHASWARM_AUTH_AGENT_TOKEN_EXCHANGE_ENABLED: 'true',
          ALPHASWARM_AUTH_AGENT_BROKER_CLIENT_ID: 'broker',
          ALPHASWARM_AUTH_AGENT_BROKER_CLIENT_SECRET: 'broker-secret-0123456789',
        },
        'ALPHASWARM_AUTH_AGENT_BROKER_CLIENT_SECRET',
        /is not read with NODE_ENV=production.*credentials:set-service-secret -- --name agent_broker_client_secret/,
      ],
      [
        'broker credentials under the local provider',
        { ALPHASWARM_AUTH_AGENT_BROKER_CLIENT_ID: 'broker' },
        'ALPHASWARM_AUTH_AGENT_BROKER_CLIENT_ID',
        /the local provider exchanges agent tokens itself/,
      ],
      [
        'an MCP canonical URI with a fragment',
        { ALPHASWARM_MCP_DATA_CANONICAL_URI: 'https://api.example.com/mcp/data#x' },
        'ALPHASWARM_MCP_DATA_CANONICAL_URI',
        /without a fragment/,
      ],
      [
        'an upstream URL without its audience',
        { ALPHASWARM_MCP_UPSTREAM_URL: 'http://127.0.0.1:9/' },
        'ALPHASWARM_MCP_UPSTREAM_AUDIENCE',
        /set both or neither/,
      ],
      [
        'a Redis URL of another scheme',
        { REDIS_URL: 'http://127.0.0.1:6379' },
        'REDIS_URL',
        /must be a redis:\/\/ or rediss:\/\/ URL/,
      ],
      [
        'a database URL of another scheme',
        { DATABASE_URL: 'mysql://127.0.0.1/db' },
        'DATABASE_URL',
        /must be a postgres:\/\/ URL/,
      ],
      [
        'a queue prefix with a space',
        { ALPHASWARM_JOBS_QUEUE_PREFIX: 'alpha swarm' },
        'ALPHASWARM_JOBS_QUEUE_PREFIX',
        /1-64 letters, digits/,
      ],
      [
        'an unknown NODE_ENV',
        { NODE_ENV: 'staging' },
        'NODE_ENV',
        /must be one of development \| test \| production/,
      ],
    ];

    it.each(cases)('%s', (_name, env, variable, fix) => {
      const refusal = refusalOf(env);
      expect(refusal.variable).toBe(variable);
      expect(refusal.message).toMatch(new RegExp(`^${variable}: `));
      expect(refusal.message).toMatch(fix);
      expect(refusal.message).not.toContain('\n');
    });

    it('reports the first refused variable when several are wrong', () => {
      const refusal = refusalOf({ NODE_ENV: 'staging', PORT: 'http' });
      expect(refusal.variable).toBe('NODE_ENV');
    });
  });
});

describe('credential store variables', () => {
  const key = Buffer.alloc(32, 9).toString('base64');

  it('refuses production without key-encryption keys, in one line naming the variable', () => {
    expect(refusalOf({ ...PRODUCTION, ALPHASWARM_CREDENTIALS_KEKS: undefined }).message).toMatch(
      /^ALPHASWARM_CREDENTIALS_KEKS: required with NODE_ENV=production.*openssl rand -base64 32\)$/,
    );
  });

  it('refuses malformed keys without echoing them', () => {
    const message = refusalOf({ ...PRODUCTION, ALPHASWARM_CREDENTIALS_KEKS: 'k1:c2hvcnQ=' }).message;
    expect(message).toMatch(/^ALPHASWARM_CREDENTIALS_KEKS: key k1 is not 32 bytes of base64/);
    expect(message).not.toContain('c2hvcnQ=');
  });

  it('refuses both a key list and a key file, and an unreadable key file', () => {
    expect(
      refusalOf({
        ALPHASWARM_CREDENTIALS_KEKS: `k1:${key}`,
        ALPHASWARM_CREDENTIALS_KEK_FILE: '/etc/hostname',
      }).variable,
    ).toBe('ALPHASWARM_CREDENTIALS_KEK_FILE');
    expect(
      refusalOf({
        ...PRODUCTION,
        ALPHASWARM_CREDENTIALS_KEKS: undefined,
        ALPHASWARM_CREDENTIALS_KEK_FILE: '/nonexistent/keks',
      }).message,
    ).toMatch(/^ALPHASWARM_CREDENTIALS_KEK_FILE: cannot be read/);
  });

  it('uses a key file under the data folder in development and a key per process in tests', () => {
    expect(loadConfig({ ALPHASWARM_DATA_DIR: '/tmp/x' }).credentials.kekSource).toEqual({
      kind: 'development-file',
      path: '/tmp/x/credentials-keks',
    });
    expect(loadConfig({ NODE_ENV: 'test' }).credentials.kekSource).toEqual({ kind: 'ephemeral' });
  });

  it('parses the resolve allow-list and refuses a value that is not a client id', () => {
    const config = loadConfig({ ALPHASWARM_CREDENTIALS_RESOLVE_CLIENT_IDS: 'trading, risk' });
    expect([...config.credentials.resolveClientIds]).toEqual(['trading', 'risk']);
    expect(refusalOf({ ALPHASWARM_CREDENTIALS_RESOLVE_CLIENT_IDS: 'a b' }).variable).toBe(
      'ALPHASWARM_CREDENTIALS_RESOLVE_CLIENT_IDS',
    );
  });
});

describe('per-user OAuth connection variables', () => {
  it('are no longer refused as unimplemented, and need the redirect URI when enabled', () => {
    expect(refusalOf({ ALPHASWARM_USER_OAUTH_ENABLED: 'true' }).message).toMatch(
      /^ALPHASWARM_USER_OAUTH_REDIRECT_URI: required with ALPHASWARM_USER_OAUTH_ENABLED=true/,
    );
    const config = loadConfig({
      ALPHASWARM_USER_OAUTH_ENABLED: 'true',
      ALPHASWARM_USER_OAUTH_REDIRECT_URI: 'https://app.example.com/oauth/callback',
      ALPHASWARM_USER_OAUTH_GOOGLE_CLIENT_ID: 'g-id',
      ALPHASWARM_USER_OAUTH_GOOGLE_CLIENT_SECRET: 'g-secret',
    });
    expect(config.credentials.userOAuth).toMatchObject({
      enabled: true,
      clients: { google: { clientId: 'g-id', clientSecret: 'g-secret' } },
      generic: undefined,
    });
  });

  it('refuses half a client pair and a generic provider without its issuer', () => {
    expect(refusalOf({ ALPHASWARM_USER_OAUTH_GITHUB_CLIENT_ID: 'id' }).variable).toBe(
      'ALPHASWARM_USER_OAUTH_GITHUB_CLIENT_SECRET',
    );
    expect(
      refusalOf({
        ALPHASWARM_USER_OAUTH_GENERIC_CLIENT_ID: 'id',
        ALPHASWARM_USER_OAUTH_GENERIC_CLIENT_SECRET: 's',
      }).variable,
    ).toBe('ALPHASWARM_USER_OAUTH_GENERIC_ISSUER');
  });

  it('refuses plain http for the redirect URI and the generic issuer in production', () => {
    expect(
      refusalOf({ ...PRODUCTION, ALPHASWARM_USER_OAUTH_REDIRECT_URI: 'http://app.example.com/cb' }).variable,
    ).toBe('ALPHASWARM_USER_OAUTH_REDIRECT_URI');
    expect(
      refusalOf({
        ...PRODUCTION,
        ALPHASWARM_USER_OAUTH_GENERIC_ISSUER: 'http://idp.example.com',
        ALPHASWARM_USER_OAUTH_GENERIC_CLIENT_ID: 'id',
        ALPHASWARM_USER_OAUTH_GENERIC_CLIENT_SECRET: 's',
      }).variable,
    ).toBe('ALPHASWARM_USER_OAUTH_GENERIC_ISSUER');
  });
});
