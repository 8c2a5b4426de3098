/**
 * The parts of Auth0's Actions runtime these Actions use, typed after Auth0's Actions reference
 * (https://auth0.com/docs/customize/actions/explore-triggers). Auth0 publishes no type package for it
 * (`@auth0/actions` is not on npm), so this file is the contract the Actions are checked against and the
 * test emulation (test/support/actions-runtime.ts) implements.
 */

/** Secrets configured on the Action (Actions → Library → the Action → Secrets). */
export type Secrets = Readonly<Record<string, string | undefined>>;

export interface CacheEntry {
  value: string;
  expires_at?: number;
}
export type CacheWriteResult = { type: 'success' } | { type: 'error'; code: string };

/** `api.cache`: per-Action, best effort; an entry may vanish at any time. */
export interface ActionsCache {
  get(key: string): CacheEntry | undefined;
  set(key: string, value: string, options?: { ttl?: number; expires_at?: number }): CacheWriteResult;
  delete(key: string): CacheWriteResult;
}

export interface Connection {
  id: string;
  name: string;
  strategy: string;
  metadata?: Record<string, string>;
}

export interface User {
  user_id: string;
  email?: string;
  email_verified?: boolean;
  groups?: unknown;
  app_metadata?: Record<string, unknown>;
  user_metadata?: Record<string, unknown>;
  identities?: {
    connection: string;
    provider: string;
    user_id: string;
    profileData?: Record<string, unknown>;
  }[];
  [claim: string]: unknown;
}

export interface AuthenticationMethod {
  name: string;
  /** ISO 8601, when the method was completed. */
  timestamp?: string;
}

export interface PostLoginEvent {
  secrets: Secrets;
  user: User;
  connection: Connection;
  organization?: { id: string; name: string; display_name?: string; metadata?: Record<string, string> };
  tenant: { id: string };
  client: { client_id: string; name: string; metadata?: Record<string, string> };
  request: { hostname?: string; ip: string; query?: Record<string, unknown> };
  transaction?: { acr_values?: string[]; requested_scopes?: string[] };
  authentication?: {
    methods?: AuthenticationMethod[];
    riskAssessment?: { confidence?: 'low' | 'medium' | 'high' | 'neutral' };
  };
}

export interface PostLoginAPI {
  access: { deny(reason: string): PostLoginAPI };
  accessToken: { setCustomClaim(name: string, value: unknown): PostLoginAPI };
  idToken: { setCustomClaim(name: string, value: unknown): PostLoginAPI };
  multifactor: {
    enable(provider: string, options?: { allowRememberBrowser?: boolean }): PostLoginAPI;
  };
  cache: ActionsCache;
}

export interface PreUserRegistrationEvent {
  secrets: Secrets;
  user: { email?: string; user_metadata?: Record<string, unknown>; app_metadata?: Record<string, unknown> };
  connection: Connection;
  client?: { client_id: string; name: string; metadata?: Record<string, string> };
  request: { hostname?: string; ip: string; query?: Record<string, unknown> };
  tenant: { id: string };
}

export interface PreUserRegistrationAPI {
  access: { deny(reason: string, userMessage: string): PreUserRegistrationAPI };
  cache: ActionsCache;
}

export interface CustomTokenExchangeEvent {
  secrets: Secrets;
  client: { client_id: string; name: string };
  request: { hostname?: string; ip: string; body: Record<string, unknown> };
  transaction: {
    subject_token: string;
    subject_token_type: string;
    requested_scopes?: string[];
  };
  tenant: { id: string };
}

export interface CustomTokenExchangeAPI {
  access: {
    deny(code: string, reason: string): CustomTokenExchangeAPI;
    rejectInvalidSubjectToken(reason: string): CustomTokenExchangeAPI;
  };
  authentication: { setUserById(userId: string): CustomTokenExchangeAPI };
  accessToken: {
    setCustomClaim(name: string, value: unknown): CustomTokenExchangeAPI;
    addScope(scope: string): CustomTokenExchangeAPI;
  };
  cache: ActionsCache;
}
