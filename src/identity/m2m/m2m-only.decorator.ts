import { Reflector } from '@nestjs/core';
import type { AppConfig } from '../../config/app-config';

/** Picks, from the configuration, the client ids a route admits (e.g. `ALPHASWARM_AUTH_INTERNAL_CLIENT_IDS`). */
export type M2mClientList = (config: AppConfig) => ReadonlySet<string>;

export const M2mOnlyRequirement = Reflector.createDecorator<M2mClientList>();

/**
 * The route serves machine-to-machine callers only: a client-credentials token addressed to
 * `ALPHASWARM_AUTH_M2M_AUDIENCE`, whose client id is in the list `clients` picks. A user token, or an M2M
 * token of another client or for the API audience, gets 403 `not_m2m`; an agent token 403
 * `agent_not_allowed`. Such routes never serve anonymous callers, even under permissive mode.
 * @example `@M2mOnly((config) => config.auth.internalClientIds) @Post('auth0/sync') sync() {…}`
 */
export const M2mOnly = (clients: M2mClientList): MethodDecorator & ClassDecorator =>
  M2mOnlyRequirement(clients);
