import { Client } from 'pg';
import request from 'supertest';
import { scratchDatabase, type ScratchDatabase } from '../support/db';
import { TestIssuer } from '../support/issuer';
import { freePort } from '../support/ports';
import { type RunningService, startService } from '../support/process';
import { REDIS_URL } from '../support/services';
import { LoopbackOAuthProvider } from './oauth-provider';
import { alpacaSecret, credentialAdmin, credentialsEnv, kek, m2mClaims, uniqueMarker } from './support';

/**
 * The built service, logging at `trace`, driven through every credentials route — good requests, bad
 * ones carrying secrets, refusals, a resolve, an OAuth connection — and then searched: no answer but the
 * resolver's, and no line of its logs, holds a secret or a token.
 */
describe('no plaintext in answers or logs', () => {
  let issuer: TestIssuer;
  let provider: LoopbackOAuthProvider;
  let database: ScratchDatabase;
  let service: RunningService;
  let url: string;

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    provider = await LoopbackOAuthProvider.start();
    database = await scratchDatabase();
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    service = await startService({
      ...credentialsEnv(issuer, kek('k1')),
      ...provider.env(),
      NODE_ENV: 'test',
      PORT: String(port),
      DATABASE_URL: database.url,
      REDIS_URL,
      ALPHASWARM_LOG_LEVEL: 'trace',
      ALPHASWARM_USER_OAUTH_ENABLED: 'true',
      ALPHASWARM_USER_OAUTH_REDIRECT_URI: 'https://app.alphaswarm.test/oauth/callback',
    });
  });
  afterAll(async () => {
    await service.stop();
    await database.drop();
    await provider.stop();
    await issuer.stop();
  });

  it('keeps every secret and token out of every answer but the resolver’s, and out of the logs', async () => {
    const db = new Client({ connectionString: database.url });
    await db.connect();
    const [{ id: userId }] = (
      await db.query(`INSERT INTO users (sub) VALUES ('auth0|leak-admin') RETURNING id`)
    ).rows;
    const [{ id: orgId }] = (
      await db.query(`INSERT INTO organizations (kind, name) VALUES ('personal', 'leak test') RETURNING id`)
    ).rows;
    await db.query(
      `INSERT INTO memberships (user_id, org_id, scope_kind, scope_id, role, source) VALUES ($1, $2, 'organization', $2, 'owner', 'manual')`,
      [userId, orgId],
    );
    await db.end();

    const admin = `Bearer ${await issuer.token({ sub: 'auth0|leak-admin', ...credentialAdmin() })}`;
    const platform = `Bearer ${await issuer.token(m2mClaims())}`;
    const http = () => request(url);
    const path = `/tenancy/orgs/${orgId}/broker-credentials`;
    const secrets: string[] = [];
    const answers: string[] = [];
    const keep = (res: request.Response) => {
      answers.push(`${JSON.stringify(res.headers)}\n${res.text}`);
      return res;
    };

    const first = alpacaSecret();
    const second = alpacaSecret();
    const generic = { api_key: `gk-${uniqueMarker()}`, api_secret: `gs-${uniqueMarker()}` };
    const marker = uniqueMarker();
    secrets.push(...Object.values(first), ...Object.values(second), ...Object.values(generic), marker);

    const created = keep(
      await http()
        .post(path)
        .set('Authorization', admin)
        .send({ name: 'a', kind: 'alpaca', environment: 'paper', secret: first }),
    );
    expect(created.status).toBe(201);
    const id = (created.body as { id: string }).id;
    expect(
      keep(
        await http()
          .post(path)
          .set('Authorization', admin)
          .send({ name: 'g', kind: 'generic', secret: generic }),
      ).status,
    ).toBe(201);
    keep(await http().get(path).set('Authorization', admin));
    keep(await http().get(`${path}/${id}`).set('Authorization', admin));
    expect(
      keep(await http().put(`${path}/${id}`).set('Authorization', admin).send({ secret: second })).status,
    ).toBe(200);
    // Bad requests that carry secrets in every place a careless error could repeat them.
    const bad = [
      {
        name: 'b',
        kind: 'alpaca',
        environment: 'paper',
        secret: { ...first, secret_key: `${marker}${'x'.repeat(300)}` },
      },
      { name: 'b', kind: 'alpaca', environment: 'paper', secret: { ...first, [marker]: marker } },
      { name: 'b', kind: marker, secret: first },
      { name: `../${marker}`, kind: 'alpaca', environment: 'paper', secret: first },
      {
        name: 'b',
        kind: 'alpaca',
        environment: 'paper',
        secret: first,
        metadata: { note: { nested: marker } },
      },
    ];
    for (const body of bad)
      expect(keep(await http().post(path).set('Authorization', admin).send(body)).status).toBe(400);
    keep(
      await http()
        .post(path)
        .set('Authorization', admin)
        .set('content-type', 'application/json')
        .send(`{"secret":"${marker}`),
    );
    keep(
      await http()
        .post(path)
        .set('Authorization', `Bearer ${await issuer.token({ sub: 'auth0|leak-admin' })}`)
        .send({ name: 'c', kind: 'alpaca', environment: 'paper', secret: first }),
    );
    keep(
      await http()
        .post('/_internal/credentials/resolve')
        .set('Authorization', admin)
        .send({ org_id: orgId, credential_id: id }),
    );
    keep(
      await http()
        .post('/_internal/credentials/resolve')
        .set('Authorization', platform)
        .send({ org_id: orgId, credential_id: id, secret: marker }),
    );

    // The resolver's answer is the one that carries the plaintext, by design: check it, then leave it out.
    const resolved = await http()
      .post('/_internal/credentials/resolve')
      .set('Authorization', platform)
      .send({ org_id: orgId, credential_id: id });
    expect(resolved.body.secret).toEqual(second);

    // An OAuth connection, from start to the platform's resolve.
    const person = `Bearer ${await issuer.token({ sub: 'auth0|leak-person' })}`;
    const started = keep(
      await http().post('/me/oauth-connections/generic/start').set('Authorization', person),
    );
    const authorize = await fetch(started.body.authorization_url as string, { redirect: 'manual' });
    const back = new URL(authorize.headers.get('location') ?? '');
    expect(
      keep(
        await http().get(`/me/oauth-connections/generic/callback${back.search}`).set('Authorization', person),
      ).status,
    ).toBe(200);
    keep(await http().get('/me/oauth-connections').set('Authorization', person));
    const oauthResolved = await http()
      .post('/_internal/credentials/oauth-connections/resolve')
      .set('Authorization', platform)
      .send({ user_sub: 'auth0|leak-person', provider: 'generic' });
    expect(oauthResolved.status).toBe(200);
    expect(
      keep(await http().delete('/me/oauth-connections/generic').set('Authorization', person)).status,
    ).toBe(204);
    expect(keep(await http().delete(`${path}/${id}`).set('Authorization', admin)).status).toBe(204);
    secrets.push(...provider.issuedTokens, back.searchParams.get('code') ?? '', provider.clientSecret);

    const stopped = await service.stop();
    const logs = `${stopped.stdout}\n${stopped.stderr}`;
    // The logs were written at trace level and hold these requests: the search below is not vacuous.
    expect(logs).toContain('/tenancy/orgs/:orgId/broker-credentials');
    expect(logs).toContain('/_internal/credentials/resolve');
    for (const secret of secrets) {
      expect(secret.length).toBeGreaterThan(8);
      for (const answer of answers) expect(answer).not.toContain(secret);
      expect(logs).not.toContain(secret);
    }
  });
});
