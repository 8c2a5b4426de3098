import type Redis from 'ioredis';

/**
 * How long a closing Redis connection may take to close gracefully before it is destroyed (ioredis
 * waits 2 s by default). A connection that never reached Redis never closes by itself, and ioredis's
 * ref'd timer then kept a stopping process alive for those 2 s; on a reachable Redis a close takes
 * well under a millisecond on the network this service runs on.
 */
export const REDIS_DISCONNECT_TIMEOUT_MS = 200;

/**
 * A connection of its own for SUBSCRIBE (a subscribed connection takes no other command). The caller
 * subscribes on every `ready` itself: ioredis's own resubscribe after a reconnect (`autoResubscribe`)
 * sends SUBSCRIBE with a promise nobody handles, so a connection that dropped again before Redis
 * answered raised an unhandled rejection ("Connection is closed."), which ends a Node process (seen in
 * the Redis-cut tests under load). Errors are the caller's `ready`/`close` handling, not events.
 */
export function subscriberConnection(redis: Redis): Redis {
  const subscriber = redis.duplicate({
    enableOfflineQueue: true,
    maxRetriesPerRequest: null,
    autoResubscribe: false,
    enableAutoPipelining: false,
  });
  subscriber.on('error', () => undefined);
  return subscriber;
}
