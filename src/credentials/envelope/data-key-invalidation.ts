import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type Redis from 'ioredis';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { REDIS } from '../../core/core.module';
import { CredentialCipher } from './credential-cipher';
import { subscriberConnection } from '../../core/redis-options';

/** The Redis channel on which `npm run credentials:rotate-kek` announces a finished rotation. */
export const dataKeyChannel = (queuePrefix: string): string => `${queuePrefix}:credentials:data-keys-rotated`;

/** How long the boot waits for the subscription before serving anyway. */
const SUBSCRIBE_WAIT_MS = 2000;

/**
 * Drops every instance's cached data keys when a key rotation finishes (the rotation command publishes
 * on Redis), so no data key unwrapped under a retired key outlives the rotation in memory. Rotated rows
 * would miss their old entries anyway (the cache is keyed by the wrapped key); this empties the cache
 * of them at once. Without Redis (development) there is one process and nothing to tell.
 */
@Injectable()
export class DataKeyInvalidation implements OnModuleInit, OnApplicationShutdown {
  private subscriber?: Redis;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(REDIS) private readonly redis: Redis | null,
    private readonly cipher: CredentialCipher,
  ) {}

  async onModuleInit(): Promise<void> {
    if (!this.redis) return;
    const subscriber = subscriberConnection(this.redis);
    this.subscriber = subscriber;
    subscriber.on('message', () => this.cipher.forgetDataKeys());
    await new Promise<void>((resolve) => {
      setTimeout(resolve, SUBSCRIBE_WAIT_MS).unref();
      subscriber.on('ready', () => {
        subscriber.subscribe(dataKeyChannel(this.config.jobs.queuePrefix)).then(
          () => {
            // A rotation announced while this connection was away was not heard: start afresh.
            this.cipher.forgetDataKeys();
            resolve();
          },
          () => resolve(),
        );
      });
    });
  }

  onApplicationShutdown(): void {
    this.subscriber?.disconnect();
  }
}
