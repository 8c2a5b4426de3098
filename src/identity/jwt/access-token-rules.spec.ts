import { loadConfig } from '../../config/app-config';
import { AuthError } from '../errors/auth-error';
import type { AuthReason } from '../errors/reason-codes';
import { AccessTokenRules } from './access-token-rules';

const AUDIENCE = 'https://api.example.com/';
const M2M_AUDIENCE = 'https://m2m.example.com/';
const SPA_CLIENT = 'spa-client';
const NAMESPACE = 'https://alphaswarm.internal/';
const ALIAS = 'https://legacy.example/';

function rulesFor(env: Record<string, string> = {}): AccessTokenRules {
  return new AccessTokenRules(
    loadConfig({
      ALPHASWARM_AUTH_OIDC_AUDIENCE: AUDIENCE,
      ALPHASWARM_AUTH_M2M_AUDIENCE: M2M_AUDIENCE,
      ALPHASWARM_AUTH_OIDC_CLIENT_ID: SPA_CLIENT,
      ALPHASWARM_AUTH_OIDC_ALGORITHMS: 'RS256,ES256',
      ALPHASWARM_AUTH_CLAIMS_NAMESPACE_ALIASES: ALIAS,
      ...env,
    }),
  );
}

const segment = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
const rawSegment = (text: string): string => Buffer.from(text).toString('base64url');
/** The issuer of `loadConfig`'s local defaults (PORT 3000). */
const ISSUER = 'http://127.0.0.1:3000/';
const token = (header: unknown, payload: unknown = { iss: ISSUER, sub: 'alice' }): string =>
  `${segment(header)}.${segment(payload)}.c2lnbmF0dXJl`;

/** The reason `run` refuses with; fails the test when it does not throw an AuthError. */
function reasonOf(run: () => unknown): AuthReason {
  try {
    run();
  } catch (error) {
    if (error instanceof AuthError) return error.reason;
    throw error;
  }
  throw new Error('accepted');
}

const now = () => Math.floor(Date.now() / 1000);
const claims = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  sub: 'auth0|alice',
  aud: AUDIENCE,
  exp: now() + 600,
  iat: now(),
  ...extra,
});

describe(AccessTokenRules.name, () => {
  let sut: AccessTokenRules;
  beforeAll(() => {
    sut = rulesFor();
  });

  describe('inspect', () => {
    it('returns the kid, the alg, the claims and the exact signing input of a well-formed token', () => {
      const jwt = token({ alg: 'RS256', typ: 'at+jwt', kid: 'k1' });
      expect(sut.inspect(jwt)).toEqual({
        kid: 'k1',
        alg: 'RS256',
        claims: { iss: ISSUER, sub: 'alice' },
        signingInput: jwt.slice(0, jwt.lastIndexOf('.')),
        signature: Buffer.from('signature'),
      });
    });

    it('accepts a header without a kid', () => {
      expect(sut.inspect(token({ alg: 'ES256', typ: 'at+jwt' }))).toMatchObject({
        kid: undefined,
        alg: 'ES256',
      });
    });

    it.each(['at+jwt', 'application/at+jwt', 'JWT', 'AT+JWT', 'Application/At+Jwt'])(
      'accepts typ %s in any case',
      (typ) => {
        expect(sut.inspect(token({ alg: 'RS256', typ })).alg).toBe('RS256');
      },
    );

    it.each([
      ['no typ', { alg: 'RS256' }],
      ['an ID token typ', { alg: 'RS256', typ: 'id_token' }],
      ['a logout token typ', { alg: 'RS256', typ: 'logout+jwt' }],
      ['a numeric typ', { alg: 'RS256', typ: 1 }],
    ])('refuses %s as malformed_token', (_name, header) => {
      expect(reasonOf(() => sut.inspect(token(header)))).toBe('malformed_token');
    });

    it.each([
      ['two segments', `${segment({ alg: 'RS256', typ: 'at+jwt' })}.${segment({ sub: 'a' })}`],
      ['four segments', `${token({ alg: 'RS256', typ: 'at+jwt' })}.extra`],
      ['a header that is not JSON', `${rawSegment('{alg')}.${segment({ sub: 'a' })}.sig`],
      ['a header that is an array', token(['RS256'])],
      ['claims that are a string', token({ alg: 'RS256', typ: 'at+jwt' }, 'alice')],
      ['claims that are not base64url', `${segment({ alg: 'RS256', typ: 'at+jwt' })}.e30=.sig`],
      ['a header that repeats alg', `${rawSegment('{"alg":"RS256","typ":"at+jwt","alg":"ES256"}')}.e30.sig`],
      [
        'claims that repeat sub',
        `${segment({ alg: 'RS256', typ: 'at+jwt' })}.${rawSegment('{"sub":"a","sub":"b"}')}.sig`,
      ],
      ['no alg', token({ typ: 'at+jwt' })],
      ['a numeric alg', token({ alg: 256, typ: 'at+jwt' })],
      ['a crit extension', token({ alg: 'RS256', typ: 'at+jwt', b64: false, crit: ['b64'] })],
      ['an empty crit list', token({ alg: 'RS256', typ: 'at+jwt', crit: [] })],
      ['zip, a JWE member', token({ alg: 'RS256', typ: 'at+jwt', zip: 'DEF' })],
      ['a kid that is a number', token({ alg: 'RS256', typ: 'at+jwt', kid: 7 })],
      ['a kid that is null', token({ alg: 'RS256', typ: 'at+jwt', kid: null })],
      ['a kid that is an object', token({ alg: 'RS256', typ: 'at+jwt', kid: { id: 'k1' } })],
      ['a kid that is an array', token({ alg: 'RS256', typ: 'at+jwt', kid: ['k1'] })],
      [
        'a signature that is not base64url',
        `${segment({ alg: 'RS256', typ: 'at+jwt' })}.${segment({ iss: ISSUER })}.a+b`,
      ],
    ])('refuses %s as malformed_token', (_name, jwt) => {
      expect(reasonOf(() => sut.inspect(jwt))).toBe('malformed_token');
    });

    it.each(['HS256', 'none', 'RS384', 'rs256'])('refuses alg %s outside the configured list', (alg) => {
      expect(reasonOf(() => sut.inspect(token({ alg, typ: 'at+jwt' })))).toBe('forbidden_algorithm');
    });

    it('checks the algorithm before the typ', () => {
      expect(reasonOf(() => sut.inspect(token({ alg: 'HS256' })))).toBe('forbidden_algorithm');
    });

    it.each([
      ['empty', ''],
      ['longer than 256 characters', 'k'.repeat(257)],
    ])('refuses a kid that is %s as no_matching_key', (_name, kid) => {
      expect(reasonOf(() => sut.inspect(token({ alg: 'RS256', typ: 'at+jwt', kid })))).toBe(
        'no_matching_key',
      );
    });

    it.each([
      ['another issuer', { iss: 'https://stranger.example/', sub: 'alice' }],
      ['no issuer', { sub: 'alice' }],
      ['a numeric issuer', { iss: 7, sub: 'alice' }],
    ])('refuses %s as wrong_issuer before any key is looked up', (_name, payload) => {
      expect(reasonOf(() => sut.inspect(token({ alg: 'RS256', typ: 'at+jwt' }, payload)))).toBe(
        'wrong_issuer',
      );
    });

    it('accepts the issuer with or without its trailing slash', () => {
      const bare = ISSUER.slice(0, -1);
      expect(sut.inspect(token({ alg: 'RS256', typ: 'at+jwt' }, { iss: bare })).claims.iss).toBe(bare);
    });

    it('accepts a kid of exactly 256 characters', () => {
      const kid = 'k'.repeat(256);
      expect(sut.inspect(token({ alg: 'RS256', typ: 'at+jwt', kid })).kid).toBe(kid);
    });

    describe('a header seen before (decoded headers are kept)', () => {
      it('still reads each token its own claims and signing input under a repeated header', () => {
        const rules = rulesFor();
        const header = { alg: 'RS256', typ: 'at+jwt', kid: 'k1' };
        const first = token(header, { iss: ISSUER, sub: 'alice' });
        const second = token(header, { iss: ISSUER, sub: 'bob' });
        expect(rules.inspect(first).claims.sub).toBe('alice');
        const repeated = rules.inspect(second);
        expect(repeated.claims.sub).toBe('bob');
        expect(repeated.signingInput).toBe(second.slice(0, second.lastIndexOf('.')));
      });

      it('refuses a repeated header exactly as the first time, and in the same order of checks', () => {
        const rules = rulesFor();
        const refused = { alg: 'RS256', typ: 'at+jwt', zip: 'DEF' };
        for (let seen = 0; seen < 3; seen += 1) {
          expect(reasonOf(() => rules.inspect(token(refused)))).toBe('malformed_token');
          expect(reasonOf(() => rules.inspect(token({ alg: 'HS256' })))).toBe('forbidden_algorithm');
          // A kept header does not excuse the claims: a foreign issuer or a broken payload is still refused.
          const accepted = { alg: 'RS256', typ: 'at+jwt', kid: 'k1' };
          expect(rules.inspect(token(accepted)).kid).toBe('k1');
          expect(reasonOf(() => rules.inspect(token(accepted, { iss: 'https://stranger.example/' })))).toBe(
            'wrong_issuer',
          );
          const brokenPayload = `${segment(accepted)}.${rawSegment('{"iss":1')}.c2lnbmF0dXJl`;
          expect(reasonOf(() => rules.inspect(brokenPayload))).toBe('malformed_token');
        }
      });

      it('tells apart headers that differ in one member', () => {
        const rules = rulesFor();
        expect(rules.inspect(token({ alg: 'RS256', typ: 'at+jwt', kid: 'k1' })).alg).toBe('RS256');
        expect(reasonOf(() => rules.inspect(token({ alg: 'RS256', typ: 'JWS', kid: 'k1' })))).toBe(
          'malformed_token',
        );
        expect(rules.inspect(token({ alg: 'ES256', typ: 'at+jwt', kid: 'k1' })).alg).toBe('ES256');
      });

      it('keeps a flood of distinct headers from changing any verdict', () => {
        const rules = rulesFor();
        for (let i = 0; i < 500; i += 1) {
          expect(rules.inspect(token({ alg: 'RS256', typ: 'at+jwt', kid: `k${i}` })).kid).toBe(`k${i}`);
        }
        expect(rules.inspect(token({ alg: 'RS256', typ: 'at+jwt', kid: 'k0' })).kid).toBe('k0');
        expect(reasonOf(() => rules.inspect(token({ alg: 'RS256', kid: 'k0' })))).toBe('malformed_token');
      });
    });
  });

  describe('toPrincipal', () => {
    it('builds a frozen user principal from the standard claims', () => {
      const issuedAt = now();
      const principal = sut.toPrincipal(
        claims({
          iat: issuedAt,
          nbf: issuedAt,
          exp: issuedAt + 600,
          jti: 'token-1',
          acr: 'http://schemas.openid.net/pape/policies/2007/06/multi-factor',
          amr: ['pwd', 'mfa'],
          auth_time: issuedAt - 60,
        }),
      );
      expect(principal).toMatchObject({
        actorType: 'user',
        sub: 'auth0|alice',
        tokenId: 'token-1',
        issuedAt,
        notBefore: issuedAt,
        expiresAt: issuedAt + 600,
        amr: ['pwd', 'mfa'],
        authTime: issuedAt - 60,
        acr: 'http://schemas.openid.net/pape/policies/2007/06/multi-factor',
      });
      expect(principal.actor).toBeUndefined();
      expect(principal.dpopJkt).toBeUndefined();
      expect(Object.isFrozen(principal)).toBe(true);
      expect(Object.isFrozen(principal.amr)).toBe(true);
      expect(Object.isFrozen(principal.permissions)).toBe(true);
    });

    it.each([
      ['null', null],
      ['an array', [claims()]],
      ['a string', 'alice'],
    ])('refuses claims that are %s as malformed_token', (_name, payload) => {
      expect(reasonOf(() => sut.toPrincipal(payload))).toBe('malformed_token');
    });

    describe('time claims', () => {
      it('requires a numeric exp', () => {
        expect(reasonOf(() => sut.toPrincipal(claims({ exp: undefined })))).toBe('malformed_token');
        expect(reasonOf(() => sut.toPrincipal(claims({ exp: String(now() + 600) })))).toBe('malformed_token');
      });

      it('refuses a non-numeric iat', () => {
        expect(reasonOf(() => sut.toPrincipal(claims({ iat: 'yesterday' })))).toBe('malformed_token');
      });

      it('accepts a token without iat', () => {
        expect(sut.toPrincipal(claims({ iat: undefined })).issuedAt).toBeUndefined();
      });

      it('tolerates an iat in the future by the configured clock skew and refuses one beyond it', () => {
        expect(sut.toPrincipal(claims({ iat: now() + 20 })).issuedAt).toBeGreaterThan(now());
        expect(reasonOf(() => sut.toPrincipal(claims({ iat: now() + 120 })))).toBe('not_yet_valid');
      });

      it('applies a zero skew exactly', () => {
        const strict = rulesFor({ ALPHASWARM_AUTH_CLOCK_SKEW_SECONDS: '0' });
        expect(reasonOf(() => strict.toPrincipal(claims({ iat: now() + 5 })))).toBe('not_yet_valid');
      });

      it('refuses an expired token and one not valid yet, with the configured skew', () => {
        expect(reasonOf(() => sut.toPrincipal(claims({ exp: now() - 600 })))).toBe('expired_token');
        expect(reasonOf(() => sut.toPrincipal(claims({ nbf: now() + 600 })))).toBe('not_yet_valid');
        expect(sut.toPrincipal(claims({ exp: now() - 20, nbf: now() + 20 })).expiresAt).toBeLessThan(now());
        const strict = rulesFor({ ALPHASWARM_AUTH_CLOCK_SKEW_SECONDS: '0' });
        expect(reasonOf(() => strict.toPrincipal(claims({ exp: now() - 1 })))).toBe('expired_token');
      });

      it.each([
        ['exp: 1e300', { exp: 1e300 }],
        ['exp past 2100-01-01', { exp: 4_102_444_801 }],
        ['nbf: -1', { nbf: -1 }],
        ['iat as a string', { iat: '1700000000' }],
        ['auth_time as a string', { auth_time: '1700000000' }],
        ['auth_time: 1e300', { auth_time: 1e300 }],
      ])(
        'refuses a numeric date out of range or of the wrong type (%s) as malformed_token',
        (_name, extra) => {
          expect(reasonOf(() => sut.toPrincipal(claims(extra)))).toBe('malformed_token');
        },
      );

      it('accepts a fractional exp, as RFC 7519 allows', () => {
        expect(sut.toPrincipal(claims({ exp: now() + 60.5 })).expiresAt).toBe(now() + 60.5);
      });
    });

    describe('subject and ID tokens', () => {
      it.each([
        ['missing', undefined],
        ['empty', ''],
        ['a number', 42],
        ['longer than 512 characters', 's'.repeat(513)],
      ])('refuses a sub that is %s', (_name, sub) => {
        expect(reasonOf(() => sut.toPrincipal(claims({ sub })))).toBe('malformed_token');
      });

      it('accepts a sub of exactly 512 characters', () => {
        expect(sut.toPrincipal(claims({ sub: 's'.repeat(512) })).sub).toHaveLength(512);
      });

      it('refuses a token with a nonce as an ID token', () => {
        expect(reasonOf(() => sut.toPrincipal(claims({ nonce: 'n-0S6_WzA2Mj' })))).toBe('malformed_token');
      });

      it('refuses a token addressed to the SPA client alone as an ID token', () => {
        expect(reasonOf(() => sut.toPrincipal(claims({ aud: SPA_CLIENT })))).toBe('wrong_audience');
        expect(reasonOf(() => sut.toPrincipal(claims({ aud: [SPA_CLIENT, SPA_CLIENT] })))).toBe(
          'wrong_audience',
        );
      });

      it('accepts the SPA client among the audiences when the API is one of them', () => {
        expect(sut.toPrincipal(claims({ aud: [SPA_CLIENT, AUDIENCE] })).sub).toBe('auth0|alice');
      });
    });

    describe('audience', () => {
      it('accepts the API audience alone or in a list', () => {
        expect(sut.toPrincipal(claims({ aud: ['https://other/', AUDIENCE] })).actorType).toBe('user');
      });

      it.each([
        ['another audience', 'https://other.example.com/'],
        ['no audience', undefined],
        ['an empty list', []],
        ['the API audience without its trailing slash', 'https://api.example.com'],
        ['a non-string audience', [42]],
      ])('refuses %s', (_name, aud) => {
        expect(reasonOf(() => sut.toPrincipal(claims({ aud })))).toBe('wrong_audience');
      });

      it('refuses the M2M audience on a user token', () => {
        expect(reasonOf(() => sut.toPrincipal(claims({ aud: M2M_AUDIENCE })))).toBe('wrong_audience');
      });
    });

    describe('machine-to-machine tokens', () => {
      const m2m = (extra: Record<string, unknown> = {}) =>
        claims({ sub: 'ci-client@clients', azp: 'ci-client', gty: 'client-credentials', ...extra });

      it('reads an Auth0 client-credentials token as m2m with its client id', () => {
        expect(sut.toPrincipal(m2m())).toMatchObject({ actorType: 'm2m', clientId: 'ci-client' });
      });

      it('reads the @clients subject alone as m2m', () => {
        expect(sut.toPrincipal(m2m({ gty: undefined })).actorType).toBe('m2m');
      });

      it('reads gty client-credentials alone as m2m', () => {
        expect(sut.toPrincipal(claims({ sub: 'service-a', gty: 'client-credentials' })).actorType).toBe(
          'm2m',
        );
      });

      it('takes client_id when azp is absent, and azp over client_id', () => {
        expect(sut.toPrincipal(m2m({ azp: undefined, client_id: 'ci-client' })).clientId).toBe('ci-client');
        expect(sut.toPrincipal(m2m({ client_id: 'other' })).clientId).toBe('ci-client');
      });

      it('refuses an @clients subject naming another client', () => {
        expect(reasonOf(() => sut.toPrincipal(m2m({ azp: 'other-client' })))).toBe('invalid_actor');
        expect(reasonOf(() => sut.toPrincipal(m2m({ azp: undefined })))).toBe('invalid_actor');
      });

      it('accepts the M2M audience on an m2m token', () => {
        expect(sut.toPrincipal(m2m({ aud: M2M_AUDIENCE })).actorType).toBe('m2m');
      });

      it('refuses every m2m token when M2M is disabled', () => {
        const disabled = rulesFor({ ALPHASWARM_AUTH_M2M_ENABLED: 'false' });
        expect(reasonOf(() => disabled.toPrincipal(m2m()))).toBe('invalid_actor');
        expect(disabled.toPrincipal(claims()).actorType).toBe('user');
      });
    });

    describe('delegation (act)', () => {
      it('reads an agent acting for the subject, nearest actor first', () => {
        const principal = sut.toPrincipal(
          claims({ act: { sub: 'agent|planner', iss: 'https://broker/', act: { sub: 'agent|root' } } }),
        );
        expect(principal.actorType).toBe('agent');
        expect(principal.actor).toEqual({
          sub: 'agent|planner',
          iss: 'https://broker/',
          chain: [
            { sub: 'agent|planner', iss: 'https://broker/' },
            { sub: 'agent|root', iss: undefined },
          ],
          onBehalfOfSub: 'auth0|alice',
        });
        expect(Object.isFrozen(principal.actor)).toBe(true);
        expect(Object.isFrozen(principal.actor?.chain)).toBe(true);
      });

      it('counts an actor before client credentials', () => {
        const principal = sut.toPrincipal(claims({ gty: 'client-credentials', act: { sub: 'agent|a' } }));
        expect(principal.actorType).toBe('agent');
      });

      it('refuses the M2M audience on an agent token', () => {
        expect(reasonOf(() => sut.toPrincipal(claims({ aud: M2M_AUDIENCE, act: { sub: 'agent|a' } })))).toBe(
          'wrong_audience',
        );
      });

      it("accepts an MCP server's canonical URI as the audience of an agent token only", () => {
        const mcpData = 'http://127.0.0.1:3000/mcp/data';
        const agent = sut.toPrincipal(claims({ aud: mcpData, act: { sub: 'agent|a' } }));
        expect(agent.audiences).toEqual([mcpData]);
        expect(reasonOf(() => sut.toPrincipal(claims({ aud: mcpData })))).toBe('wrong_audience');
        expect(
          reasonOf(() =>
            sut.toPrincipal(claims({ aud: 'https://elsewhere.example/', act: { sub: 'agent|a' } })),
          ),
        ).toBe('wrong_audience');
      });

      const chainOf = (depth: number): Record<string, unknown> => {
        let link: Record<string, unknown> | undefined;
        for (let i = depth; i >= 1; i -= 1) link = { sub: `agent|${i}`, ...(link ? { act: link } : {}) };
        return link ?? {};
      };

      it('accepts a chain of 8 actors and refuses 9', () => {
        expect(sut.toPrincipal(claims({ act: chainOf(8) })).actor?.chain).toHaveLength(8);
        expect(reasonOf(() => sut.toPrincipal(claims({ act: chainOf(9) })))).toBe('invalid_actor');
      });

      it.each([
        ['not an agent', { sub: 'auth0|bob' }],
        ['a string', 'agent|a'],
        ['null', null],
        ['an array', [{ sub: 'agent|a' }]],
        ['without a sub', { iss: 'https://broker/' }],
        ['with an empty sub', { sub: '' }],
        ['with a numeric iss', { sub: 'agent|a', iss: 1 }],
        ['with a broken inner link', { sub: 'agent|a', act: { sub: 5 } }],
      ])('refuses an actor that is %s', (_name, act) => {
        expect(reasonOf(() => sut.toPrincipal(claims({ act })))).toBe('invalid_actor');
      });

      it('refuses a chain whose nearest actor is not an agent even when an inner one is', () => {
        expect(
          reasonOf(() => sut.toPrincipal(claims({ act: { sub: 'user|x', act: { sub: 'agent|a' } } }))),
        ).toBe('invalid_actor');
      });
    });

    describe('permissions', () => {
      it('joins the permissions list and the space-separated scope', () => {
        const principal = sut.toPrincipal(
          claims({ permissions: ['read:a'], scope: ' write:b  admin:tenant ' }),
        );
        expect([...principal.permissions]).toEqual(['read:a', 'write:b', 'admin:tenant']);
      });

      it('has no permissions when neither claim is present', () => {
        expect(sut.toPrincipal(claims()).permissions.size).toBe(0);
      });

      it.each([
        ['permissions that are a string', { permissions: 'read:a' }],
        ['permissions with a number', { permissions: ['read:a', 1] }],
        ['a scope that is a list', { scope: ['read:a'] }],
      ])('refuses %s', (_name, extra) => {
        expect(reasonOf(() => sut.toPrincipal(claims(extra)))).toBe('malformed_token');
      });
    });

    describe('step-up claims', () => {
      it('keeps amr and auth_time for the step-up guard', () => {
        const principal = sut.toPrincipal(claims({ amr: ['mfa'], auth_time: now() - 30 }));
        expect(principal.amr).toEqual(['mfa']);
        expect(principal.authTime).toBeLessThanOrEqual(now());
      });

      it('reads a missing or null amr as no methods', () => {
        expect(sut.toPrincipal(claims()).amr).toEqual([]);
        expect(sut.toPrincipal(claims({ amr: null })).amr).toEqual([]);
      });

      it.each([
        ['a string', 'mfa'],
        ['a list with a number', ['mfa', 2]],
      ])('refuses an amr that is %s', (_name, amr) => {
        expect(reasonOf(() => sut.toPrincipal(claims({ amr })))).toBe('malformed_token');
      });
    });

    describe('DPoP binding', () => {
      it('puts the key thumbprint of a DPoP-bound token on the principal', () => {
        const jkt = 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs';
        expect(sut.toPrincipal(claims({ cnf: { jkt } })).dpopJkt).toBe(jkt);
      });

      it('accepts a confirmation without a key thumbprint', () => {
        expect(sut.toPrincipal(claims({ cnf: { 'x5t#S256': 'abc' } })).dpopJkt).toBeUndefined();
      });

      it.each([
        ['a string', 'thumbprint'],
        ['null', null],
        ['a numeric thumbprint', { jkt: 1 }],
      ])('refuses a cnf that is %s', (_name, cnf) => {
        expect(reasonOf(() => sut.toPrincipal(claims({ cnf })))).toBe('malformed_token');
      });
    });

    describe('custom claims', () => {
      it('reads the custom claims under the primary namespace', () => {
        const principal = sut.toPrincipal(
          claims({
            [`${NAMESPACE}org_id`]: 'org-1',
            [`${NAMESPACE}team_id`]: 'team-1',
            [`${NAMESPACE}workspace_id`]: 'ws-1',
            [`${NAMESPACE}project_id`]: 'p-1',
            [`${NAMESPACE}lab_id`]: 'lab-1',
            [`${NAMESPACE}tenant_id`]: 't-1',
            [`${NAMESPACE}tier`]: 'pro',
            [`${NAMESPACE}connection`]: 'google-oauth2',
            [`${NAMESPACE}email`]: 'alice@example.com',
            [`${NAMESPACE}internal_user_id`]: 'u-1',
            [`${NAMESPACE}roles`]: ['admin'],
          }),
        );
        expect(principal).toMatchObject({
          orgId: 'org-1',
          teamId: 'team-1',
          workspaceId: 'ws-1',
          projectId: 'p-1',
          labId: 'lab-1',
          tenantId: 't-1',
          tier: 'pro',
          connection: 'google-oauth2',
          email: 'alice@example.com',
          internalUserId: 'u-1',
          roles: ['admin'],
        });
      });

      it('prefers the primary namespace and falls back to an alias when the primary is absent or null', () => {
        expect(
          sut.toPrincipal(claims({ [`${NAMESPACE}org_id`]: 'new', [`${ALIAS}org_id`]: 'old' })).orgId,
        ).toBe('new');
        expect(
          sut.toPrincipal(claims({ [`${NAMESPACE}org_id`]: null, [`${ALIAS}org_id`]: 'old' })).orgId,
        ).toBe('old');
      });

      it('falls back to the top-level org_id and email', () => {
        const principal = sut.toPrincipal(claims({ org_id: 'org_auth0', email: 'a@example.com' }));
        expect(principal.orgId).toBe('org_auth0');
        expect(principal.email).toBe('a@example.com');
      });

      it('falls back from internal_user_id to user_id', () => {
        expect(sut.toPrincipal(claims({ [`${NAMESPACE}user_id`]: 'u-2' })).internalUserId).toBe('u-2');
      });

      it('does not believe an email the IdP says is unverified', () => {
        const principal = sut.toPrincipal(
          claims({ email_verified: false, email: 'a@example.com', [`${NAMESPACE}email`]: 'a@example.com' }),
        );
        expect(principal.email).toBeUndefined();
      });

      it('ignores custom strings that are empty or not strings', () => {
        const principal = sut.toPrincipal(claims({ [`${NAMESPACE}org_id`]: '', [`${NAMESPACE}team_id`]: 3 }));
        expect(principal.orgId).toBeUndefined();
        expect(principal.teamId).toBeUndefined();
      });

      it('keeps a tier claim that is there but unusable as the empty tier, never as no tier', () => {
        for (const tier of ['', 3, ['pro'], { name: 'pro' }]) {
          expect(sut.toPrincipal(claims({ [`${NAMESPACE}tier`]: tier })).tier).toBe('');
        }
        expect(sut.toPrincipal(claims({ [`${NAMESPACE}tier`]: null })).tier).toBeUndefined();
        expect(sut.toPrincipal(claims({})).tier).toBeUndefined();
      });

      it('refuses roles that are not a list of strings', () => {
        expect(reasonOf(() => sut.toPrincipal(claims({ [`${NAMESPACE}roles`]: 'admin' })))).toBe(
          'malformed_token',
        );
      });
    });
  });
});
