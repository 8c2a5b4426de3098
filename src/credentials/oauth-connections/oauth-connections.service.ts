import { createHash, randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import * as oauth from 'oauth4webapi';
import type { EntityManager } from 'typeorm';
import { AuditLedger } from '../../audit/ledger/audit-ledger';
import { RequestError } from '../../common/errors/request-error';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { SYSTEM_SCOPE, TenantDb } from '../../database/tenant-db';
import type { Principal } from '../../identity/principal';
import type { ChangeActor } from '../../tenancy/org-scope/org-access';
import { CredentialsAudit } from '../credentials-audit';
import { SealError } from '../envelope/aes-gcm';
import { CredentialCipher, type SecretBinding, type SecretFields } from '../envelope/credential-cipher';
import type { ResolveCaller } from '../resolver/credential-resolver.service';
import { OAuthAuthorization, OAuthConnection } from './oauth-connection.entity';
import {
  type OAuthCallbackQuery,
  type OAuthConnectionResponse,
  type ResolvedOAuthConnection,
  toOAuthConnectionResponse,
} from './oauth-connections.dto';
import { OAuthProviders, providerError, type ProviderClient } from './oauth-providers';

const stateInvalid = (): RequestError =>
  new RequestError(
    'oauth_state_invalid',
    400,
    'The state is unknown, used, expired or not yours; start again',
  );

/** Refresh a little before the provider's expiry, so the platform never gets a token about to lapse. */
const REFRESH_MARGIN_MS = 60_000;

export const connectionBinding = (
  connection: Pick<OAuthConnection, 'userId' | 'id' | 'provider'>,
): SecretBinding => ({
  purpose: 'oauth_connection',
  ownerId: connection.userId,
  recordId: connection.id,
  kind: connection.provider,
});

export const verifierBinding = (
  pending: Pick<OAuthAuthorization, 'userId' | 'id' | 'provider'>,
): SecretBinding => ({
  purpose: 'oauth_connection',
  ownerId: pending.userId,
  recordId: pending.id,
  kind: `pkce:${pending.provider}`,
});

const stateHashOf = (state: string): string => createHash('sha256').update(state).digest('hex');

/**
 * Per-user OAuth connections (docs/credentials.md): start (PKCE S256, a `state` bound to the user),
 * callback (state single use, same user, unexpired; code exchange with oauth4webapi), list, delete
 * (RFC 7009 revocation where offered), and the platform's resolve, which refreshes expiring tokens.
 * Every query runs in the user's row-level scope.
 */
@Injectable()
export class OAuthConnectionsService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly tenantDb: TenantDb,
    private readonly cipher: CredentialCipher,
    private readonly providers: OAuthProviders,
    private readonly audit: CredentialsAudit,
    private readonly ledger: AuditLedger,
  ) {}

  listProviders(): ReturnType<OAuthProviders['list']> {
    this.enabled();
    return this.providers.list();
  }

  async start(
    principal: Principal,
    actor: ChangeActor,
    providerId: string,
  ): Promise<{ authorization_url: string; state: string; expires_at: Date }> {
    this.enabled();
    const userId = await this.userIdOf(principal);
    const provider = await this.providers.get(providerId);
    if (provider.metadata.authorization_endpoint === undefined)
      throw providerError('it has no authorization endpoint');
    const state = oauth.generateRandomState();
    const verifier = oauth.generateRandomCodeVerifier();
    const pending = { id: randomUUID(), userId, provider: provider.id };
    const { sealed } = await this.cipher.seal(verifierBinding(pending), { code_verifier: verifier });
    const expiresAt = new Date(Date.now() + this.config.credentials.userOAuth.stateTtlSeconds * 1000);
    await this.tenantDb.run({ kind: 'user', userId }, async (db) => {
      const authorizations = db.getRepository(OAuthAuthorization);
      await authorizations
        .createQueryBuilder()
        .delete()
        .where('user_id = :userId AND expires_at < now()', { userId })
        .execute();
      await authorizations.insert({ ...pending, stateHash: stateHashOf(state), ...sealed, expiresAt });
      await this.audit.record(db, actor, null, 'credentials.oauth_connection_started', {
        provider: provider.id,
      });
    });
    const url = new URL(provider.metadata.authorization_endpoint);
    url.searchParams.set('response_type', 'code');
    url.searchParams.set('client_id', provider.client.client_id);
    url.searchParams.set('redirect_uri', this.redirectUri());
    if (provider.scopes !== '') url.searchParams.set('scope', provider.scopes);
    url.searchParams.set('state', state);
    url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(verifier));
    url.searchParams.set('code_challenge_method', 'S256');
    return { authorization_url: url.href, state, expires_at: expiresAt };
  }

  /**
   * Uses the state once (whatever happens next, it is gone), then exchanges the code. A state of another
   * user, of another provider, unknown or expired is one answer: 400 oauth_state_invalid.
   */
  async callback(
    principal: Principal,
    actor: ChangeActor,
    providerId: string,
    query: OAuthCallbackQuery,
  ): Promise<OAuthConnectionResponse> {
    this.enabled();
    if (query.state === undefined) throw new RequestError('invalid_request', 400, 'state is required');
    const userId = await this.userIdOf(principal);
    const provider = await this.providers.get(providerId);
    const state = query.state;
    const pending = await this.tenantDb.run({ kind: 'user', userId }, async (db) => {
      const rows = await db
        .getRepository(OAuthAuthorization)
        .createQueryBuilder()
        .delete()
        .where('state_hash = :hash AND user_id = :userId AND provider = :provider', {
          hash: stateHashOf(state),
          userId,
          provider: provider.id,
        })
        .returning('*')
        .execute();
      const raw = (rows.raw as Record<string, unknown>[])[0];
      return raw === undefined ? undefined : rowToAuthorization(raw);
    });
    if (!pending || pending.expiresAt.getTime() <= Date.now()) throw stateInvalid();

    let parameters: URLSearchParams;
    try {
      parameters = oauth.validateAuthResponse(
        provider.metadata,
        provider.client,
        callbackParameters(query),
        state,
      );
    } catch {
      // The provider answered an error (the person declined, say) or an issuer that is not its own.
      throw new RequestError('oauth_provider_error', 400, 'The provider did not grant access');
    }
    const { code_verifier: verifier } = await this.cipher.open(verifierBinding(pending), pending);
    const tokens = await this.exchange(provider, 'authorization_code', () =>
      oauth.authorizationCodeGrantRequest(
        provider.metadata,
        provider.client,
        provider.auth,
        parameters,
        this.redirectUri(),
        verifier,
        provider.options,
      ),
    );
    const claims = oauth.getValidatedIdTokenClaims(tokens);
    const account = typeof claims?.email === 'string' ? claims.email : (claims?.sub ?? null);

    return this.tenantDb.run({ kind: 'user', userId }, async (db) => {
      const connections = db.getRepository(OAuthConnection);
      const existing = await connections.findOne({
        where: { userId, provider: provider.id },
        lock: { mode: 'pessimistic_write' },
      });
      const id = existing?.id ?? randomUUID();
      const stored = await this.sealedTokens({ id, userId, provider: provider.id }, tokens, undefined);
      const row = { account, scopes: tokens.scope ?? provider.scopes, ...stored };
      if (existing) await connections.update({ id }, row);
      else await connections.insert({ id, userId, provider: provider.id, ...row });
      const connection = await connections.findOneByOrFail({ id });
      await this.audit.record(db, actor, null, 'credentials.oauth_connection_created', {
        connection_id: id,
        provider: provider.id,
        account,
        fingerprint: connection.fingerprint,
        replaced: existing !== null,
      });
      return toOAuthConnectionResponse(connection);
    });
  }

  async list(principal: Principal): Promise<OAuthConnectionResponse[]> {
    this.enabled();
    const userId = await this.userIdOf(principal);
    return this.tenantDb.run({ kind: 'user', userId }, async (db) =>
      (await db.getRepository(OAuthConnection).find({ where: { userId }, order: { createdAt: 'ASC' } })).map(
        toOAuthConnectionResponse,
      ),
    );
  }

  /** Revokes at the provider where it offers RFC 7009 revocation, then deletes (even if revocation failed). */
  async remove(principal: Principal, actor: ChangeActor, providerId: string): Promise<void> {
    this.enabled();
    const userId = await this.userIdOf(principal);
    const connection = await this.tenantDb.run({ kind: 'user', userId }, (db) =>
      db.getRepository(OAuthConnection).findOneBy({ userId, provider: providerId }),
    );
    if (!connection) throw new RequestError('not_found', 404, 'No such OAuth connection');
    const revoked = await this.revoke(connection);
    await this.tenantDb.run({ kind: 'user', userId }, async (db) => {
      await db.getRepository(OAuthConnection).delete({ id: connection.id, userId });
      await this.audit.record(db, actor, null, 'credentials.oauth_connection_deleted', {
        connection_id: connection.id,
        provider: connection.provider,
        fingerprint: connection.fingerprint,
        revoked,
      });
    });
  }

  /**
   * The platform's resolve: the person's access token at the provider, renewed with the refresh token
   * when it expires within a minute. The row stays locked during a refresh, so two instances never
   * spend one refresh token twice.
   */
  async resolve(
    caller: ResolveCaller,
    userSub: string,
    providerId: string,
  ): Promise<ResolvedOAuthConnection> {
    this.enabled();
    const user = await this.tenantDb.run(SYSTEM_SCOPE, (db) =>
      db.query<{ id: string }[]>(`SELECT id FROM users WHERE sub = $1`, [userSub]),
    );
    const userId = user[0]?.id;
    try {
      if (userId === undefined) throw new RequestError('not_found', 404, 'No such OAuth connection');
      return await this.tenantDb.run({ kind: 'user', userId }, async (db) => {
        const connection = await db.getRepository(OAuthConnection).findOne({
          where: { userId, provider: providerId },
          lock: { mode: 'pessimistic_write' },
        });
        if (!connection) throw new RequestError('not_found', 404, 'No such OAuth connection');
        let tokens = await this.cipher.open(connectionBinding(connection), connection);
        let current = connection;
        const expiring =
          connection.expiresAt !== null && connection.expiresAt.getTime() - REFRESH_MARGIN_MS <= Date.now();
        const refreshed = expiring && tokens.refresh_token !== undefined;
        if (refreshed) ({ tokens, connection: current } = await this.refresh(db, connection, tokens));
        await this.audit.record(db, caller.actor, null, 'credentials.oauth_connection_resolved', {
          connection_id: connection.id,
          user_sub: userSub,
          provider: providerId,
          fingerprint: current.fingerprint,
          client_id: caller.clientId,
          refreshed,
        });
        return {
          provider: current.provider,
          account: current.account,
          scopes: current.scopes.split(' ').filter((scope) => scope !== ''),
          access_token: tokens.access_token,
          token_type: tokens.token_type,
          expires_at: current.expiresAt,
          refreshed,
        };
      });
    } catch (error) {
      const refusal =
        error instanceof SealError
          ? new RequestError(
              'credential_unreadable',
              503,
              'The stored connection does not open under the configured keys',
            )
          : error;
      if (refusal instanceof RequestError) {
        await this.ledger.record({
          eventType: 'credentials.oauth_connection_resolved',
          outcome: 'failure',
          reason: refusal.reason,
          userId: caller.actor.sub,
          route: caller.actor.route,
          ip: caller.actor.ip,
          requestId: caller.actor.requestId,
          details: { user_sub: userSub, provider: providerId, client_id: caller.clientId },
        });
      }
      throw refusal;
    }
  }

  private async refresh(
    db: EntityManager,
    connection: OAuthConnection,
    current: SecretFields,
  ): Promise<{ tokens: SecretFields; connection: OAuthConnection }> {
    const provider = await this.providers.get(connection.provider);
    const response = await this.exchange(provider, 'refresh_token', () =>
      oauth.refreshTokenGrantRequest(
        provider.metadata,
        provider.client,
        provider.auth,
        current.refresh_token,
        provider.options,
      ),
    );
    const stored = await this.sealedTokens(connection, response, current.refresh_token);
    await db
      .getRepository(OAuthConnection)
      .update({ id: connection.id }, { ...stored, scopes: response.scope ?? connection.scopes });
    const updated = await db.getRepository(OAuthConnection).findOneByOrFail({ id: connection.id });
    return { tokens: await this.cipher.open(connectionBinding(updated), updated), connection: updated };
  }

  /** Runs a token request and processes its answer; anything the provider does wrong is a 502. */
  private async exchange(
    provider: ProviderClient,
    grant: 'authorization_code' | 'refresh_token',
    request: () => Promise<Response>,
  ): Promise<oauth.TokenEndpointResponse> {
    try {
      const response = await request();
      return grant === 'authorization_code'
        ? await oauth.processAuthorizationCodeResponse(provider.metadata, provider.client, response)
        : await oauth.processRefreshTokenResponse(provider.metadata, provider.client, response);
    } catch (error) {
      throw providerError(describeProviderFailure(error));
    }
  }

  private async revoke(connection: OAuthConnection): Promise<boolean> {
    let provider: ProviderClient;
    try {
      provider = await this.providers.get(connection.provider);
    } catch {
      return false;
    }
    if (provider.metadata.revocation_endpoint === undefined) return false;
    try {
      const tokens = await this.cipher.open(connectionBinding(connection), connection);
      const token = tokens.refresh_token ?? tokens.access_token;
      const response = await oauth.revocationRequest(
        provider.metadata,
        provider.client,
        provider.auth,
        token,
        {
          ...provider.options,
          additionalParameters: { token_type_hint: tokens.refresh_token ? 'refresh_token' : 'access_token' },
        },
      );
      await oauth.processRevocationResponse(response);
      return true;
    } catch {
      return false;
    }
  }

  private async sealedTokens(
    record: Pick<OAuthConnection, 'id' | 'userId' | 'provider'>,
    tokens: oauth.TokenEndpointResponse,
    previousRefreshToken: string | undefined,
  ): Promise<Pick<OAuthConnection, 'kekId' | 'wrappedKey' | 'ciphertext' | 'fingerprint' | 'expiresAt'>> {
    const fields: Record<string, string> = {
      access_token: tokens.access_token,
      token_type: tokens.token_type,
    };
    // A provider that does not rotate refresh tokens answers none on refresh: keep the one we have.
    const refreshToken = tokens.refresh_token ?? previousRefreshToken;
    if (refreshToken !== undefined) fields.refresh_token = refreshToken;
    const { sealed, fingerprint } = await this.cipher.seal(connectionBinding(record), fields);
    const expiresAt =
      typeof tokens.expires_in === 'number' ? new Date(Date.now() + tokens.expires_in * 1000) : null;
    return { ...sealed, fingerprint, expiresAt };
  }

  private enabled(): void {
    if (!this.config.credentials.userOAuth.enabled) {
      throw new RequestError('not_found', 404, 'Per-user OAuth connections are not enabled');
    }
  }

  private redirectUri(): string {
    // Required by the configuration whenever the feature is enabled.
    return this.config.credentials.userOAuth.redirectUri as string;
  }

  /** The caller's user row (created on first use, as the JIT sync would); a person's token only. */
  private async userIdOf(principal: Principal): Promise<string> {
    if (principal.actorType !== 'user') {
      throw new RequestError('invalid_request', 400, 'OAuth connections belong to people; use a user token');
    }
    const rows = await this.tenantDb.run(SYSTEM_SCOPE, (db) =>
      db.query<{ id: string }[]>(
        `INSERT INTO users (sub, email) VALUES ($1, $2)
         ON CONFLICT (sub) DO UPDATE SET sub = EXCLUDED.sub RETURNING id`,
        [principal.sub, principal.email ?? null],
      ),
    );
    return rows[0].id;
  }
}

function callbackParameters(query: OAuthCallbackQuery): URLSearchParams {
  const parameters = new URLSearchParams();
  for (const [name, value] of Object.entries(query))
    if (typeof value === 'string') parameters.set(name, value);
  return parameters;
}

function rowToAuthorization(raw: Record<string, unknown>): OAuthAuthorization {
  return Object.assign(new OAuthAuthorization(), {
    id: raw.id as string,
    userId: raw.user_id as string,
    provider: raw.provider as string,
    stateHash: raw.state_hash as string,
    kekId: raw.kek_id as string,
    wrappedKey: raw.wrapped_key as Buffer,
    ciphertext: raw.ciphertext as Buffer,
    expiresAt: new Date(raw.expires_at as string | Date),
  });
}

/** What went wrong at the provider, in our words: its own messages are never passed on. */
function describeProviderFailure(error: unknown): string {
  if (error instanceof oauth.ResponseBodyError) {
    // An RFC 6749 error code is safe to repeat; anything else the provider wrote is not.
    return /^[a-z_]{1,64}$/.test(error.error)
      ? `it refused the request (${error.error})`
      : 'it refused the request';
  }
  if (error instanceof oauth.WWWAuthenticateChallengeError) return 'it refused our client';
  if (error instanceof oauth.OperationProcessingError) return 'it answered something unusable';
  return 'it could not be reached';
}
