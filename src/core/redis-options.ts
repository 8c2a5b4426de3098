/**
 * How long a closing Redis connection may take to close gracefully before it is destroyed (ioredis
 * waits 2 s by default). A connection that never reached Redis never closes by itself, and ioredis's
 * ref'd timer then kept a stopping process alive for those 2 s; on a reachable Redis a close takes
 * well under a millisecond on the network this service runs on.
 */
export const REDIS_DISCONNECT_TIMEOUT_MS = 200;
