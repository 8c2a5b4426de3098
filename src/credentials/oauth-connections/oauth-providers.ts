import { Inject, Injectable } from '@nestjs/common';
import * as oauth from 'oauth4webapi';
import { RequestError } from '../../common/errors/request-error';
import {
  APP_CONFIG,
  type AppConfig,
  type OAuthClientConfig,
  USER_OAUTH_PROVIDERS,
  type UserOAuthProviderId,
} from '../../config/app-config';

/** A provider's endpoints as shipped (the five defaults) or as discovered (the generic one). */
interface KnownProvider {
  readonly name: string;
  readonly metadata: oauth.AuthorizationServer;
  readonly scopes: string;
}

/**
 * The documented default providers (docs/credentials.md). Each is offered only when its client id and
 * secret are configured. `revocation_endpoint` is listed only where the provider implements RFC 7009.
 */
const DEFAULTS: Readonly<Record<(typeof USER_OAUTH_PROVIDERS)[number], KnownProvider>> = {
  github: {
    name: 'GitHub',
    scopes: 'read:user user:email',
    metadata: {
      issuer: 'https://github.com/login/oauth',
      authorization_endpoint: 'https://github.com/login/oauth/authorize',
      token_endpoint: 'https://github.com/login/oauth/access_token',
    },
  },
  google: {
    name: 'Google',
    scopes: 'openid email profile',
    metadata: {
      issuer: 'https://accounts.google.com',
      authorization_endpoint: 'https://accounts.google.com/o/oauth2/v2/auth',
      token_endpoint: 'https://oauth2.googleapis.com/token',
      revocation_endpoint: 'https://oauth2.googleapis.com/revoke',
    },
  },
  microsoft: {
    name: 'Microsoft',
    scopes: 'openid email profile offline_access User.Read',
    metadata: {
      issuer: 'https://login.microsoftonline.com/common/v2.0',
      authorization_endpoint: 'https://login.microsoftonline.com/common/oauth2/v2.0/authorize',
      token_endpoint: 'https://login.microsoftonline.com/common/oauth2/v2.0/token',
    },
  },
  slack: {
    name: 'Slack',
    scopes: 'openid email profile',
    metadata: {
      issuer: 'https://slack.com',
      authorization_endpoint: 'https://slack.com/openid/connect/authorize',
      token_endpoint: 'https://slack.com/api/openid.connect.token',
    },
  },
  notion: {
    name: 'Notion',
    scopes: '',
    metadata: {
      issuer: 'https://api.notion.com',
      authorization_endpoint: 'https://api.notion.com/v1/oauth/authorize',
      token_endpoint: 'https://api.notion.com/v1/oauth/token',
    },
  },
};

/** One provider, ready for a request: its metadata, our client there, and how we authenticate. */
export interface ProviderClient {
  readonly id: UserOAuthProviderId;
  readonly metadata: oauth.AuthorizationServer;
  readonly client: oauth.Client;
  readonly auth: oauth.ClientAuth;
  readonly scopes: string;
  /** oauth4webapi refuses plain http; a loopback provider (development, tests) is allowed it. */
  readonly options: { [oauth.allowInsecureRequests]?: boolean; signal?: AbortSignal };
}

export interface ProviderListing {
  id: UserOAuthProviderId;
  name: string;
  configured: boolean;
}

const PROVIDER_TIMEOUT_MS = 10_000;

export const providerError = (what: string): RequestError =>
  new RequestError('oauth_provider_error', 502, `The provider failed: ${what}`);

/** The providers of per-user OAuth connections, from configuration; the generic one is discovered once. */
@Injectable()
export class OAuthProviders {
  private discovered?: Promise<oauth.AuthorizationServer>;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  list(): ProviderListing[] {
    const { clients, generic } = this.config.credentials.userOAuth;
    const listing: ProviderListing[] = USER_OAUTH_PROVIDERS.map((id) => ({
      id,
      name: DEFAULTS[id].name,
      configured: clients[id] !== undefined,
    }));
    if (generic) listing.push({ id: 'generic', name: new URL(generic.issuer).host, configured: true });
    return listing;
  }

  /** The configured provider `id`; 404 for an unknown or unconfigured one. */
  async get(id: string): Promise<ProviderClient> {
    const { clients, generic } = this.config.credentials.userOAuth;
    if (id === 'generic' && generic) {
      return this.clientOf('generic', await this.discover(generic.issuer), generic, generic.scopes);
    }
    const known = (USER_OAUTH_PROVIDERS as readonly string[]).includes(id)
      ? (id as (typeof USER_OAUTH_PROVIDERS)[number])
      : undefined;
    const client = known && clients[known];
    if (!known || !client) throw new RequestError('not_found', 404, 'No such configured OAuth provider');
    return this.clientOf(known, DEFAULTS[known].metadata, client, DEFAULTS[known].scopes);
  }

  private clientOf(
    id: UserOAuthProviderId,
    metadata: oauth.AuthorizationServer,
    config: OAuthClientConfig,
    scopes: string,
  ): ProviderClient {
    return {
      id,
      metadata,
      client: { client_id: config.clientId },
      auth: oauth.ClientSecretBasic(config.clientSecret),
      scopes,
      options: {
        [oauth.allowInsecureRequests]: loopbackHttp(metadata.token_endpoint ?? metadata.issuer),
        signal: AbortSignal.timeout(PROVIDER_TIMEOUT_MS),
      },
    };
  }

  /** Discovery once per process; a failed discovery is not kept, so the next request tries again. */
  private discover(issuer: string): Promise<oauth.AuthorizationServer> {
    this.discovered ??= (async () => {
      const url = new URL(issuer);
      const response = await oauth.discoveryRequest(url, {
        algorithm: 'oidc',
        [oauth.allowInsecureRequests]: loopbackHttp(issuer),
        signal: AbortSignal.timeout(PROVIDER_TIMEOUT_MS),
      });
      return oauth.processDiscoveryResponse(url, response);
    })().catch((error: unknown) => {
      this.discovered = undefined;
      throw error instanceof RequestError ? error : providerError('its metadata could not be discovered');
    });
    return this.discovered;
  }
}

function loopbackHttp(url: string | undefined): boolean {
  if (url === undefined) return false;
  const { protocol, hostname } = new URL(url);
  return protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(hostname);
}
