import { startTestApp } from '../support/app';
import { TestIssuer } from '../support/issuer';

describe('several app instances in one process', () => {
  it('each validates against its own issuer only', async () => {
    const [first, second] = await Promise.all([TestIssuer.start(), TestIssuer.start()]);
    const a = await startTestApp(first.env());
    const b = await startTestApp(second.env());
    try {
      const whoami = (url: string, token: string) =>
        fetch(`${url}/auth/whoami`, { headers: { authorization: `Bearer ${token}` } }).then(async (res) => ({
          status: res.status,
          reason: ((await res.json()) as { reason?: string }).reason,
        }));
      const fromFirst = await first.token();
      const fromSecond = await second.token();
      expect(await whoami(a.url, fromFirst)).toEqual({ status: 200, reason: undefined });
      expect(await whoami(b.url, fromSecond)).toEqual({ status: 200, reason: undefined });
      expect((await whoami(a.url, fromSecond)).status).toBe(401);
      expect((await whoami(b.url, fromFirst)).status).toBe(401);
    } finally {
      await Promise.all([a.close(), b.close()]);
      await Promise.all([first.stop(), second.stop()]);
    }
  });

  it("gives each of many concurrent first-time tokens its own principal, never another request's", async () => {
    const issuer = await TestIssuer.start();
    const t = await startTestApp(issuer.env());
    try {
      // A key the service has not fetched yet, behind a slow JWKS: every verification is in flight at once.
      const rotated = await issuer.addKey();
      issuer.jwksDelayMs = 200;
      const subs = Array.from({ length: 40 }, (_, i) => `auth0|user-${i}`);
      const tokens = await Promise.all(subs.map((sub) => issuer.token({ sub }, { key: rotated })));
      const answers = await Promise.all(
        tokens.map((token) =>
          fetch(`${t.url}/auth/whoami`, { headers: { authorization: `Bearer ${token}` } }).then(
            async (res) =>
              [res.status, ((await res.json()) as { principal: { sub: string } }).principal.sub] as const,
          ),
        ),
      );
      expect(answers).toEqual(subs.map((sub) => [200, sub]));
    } finally {
      await t.close();
      await issuer.stop();
    }
  });
});
