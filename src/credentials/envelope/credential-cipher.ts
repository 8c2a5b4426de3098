import { createHmac, randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import type { Counter } from 'prom-client';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { MetricsService } from '../../observability/metrics.service';
import { open, seal, SealError } from './aes-gcm';
import { KEY_WRAPPER, type KeyWrapper } from './key-wrapper';

/** What a sealed secret is bound to: opening it as anything else fails. */
export interface SecretBinding {
  readonly purpose: 'broker_credential' | 'oauth_connection' | 'service_secret';
  /** The organization (broker credential), the user (OAuth connection) or `service` (its own secrets). */
  readonly ownerId: string;
  readonly recordId: string;
  /** The broker kind or the OAuth provider. */
  readonly kind: string;
}

/** A secret as stored: the data key wrapped under a KEK, and the secret sealed under the data key. */
export interface SealedSecret {
  readonly kekId: string;
  readonly wrappedKey: Buffer;
  readonly ciphertext: Buffer;
}

/** The secret's fields: what a broker or an OAuth provider needs (`secret_key`, `refresh_token`, …). */
export type SecretFields = Readonly<Record<string, string>>;

/**
 * Envelope encryption of credentials (docs/credentials.md, ADR 0014): every record gets a fresh
 * 256-bit data key; the fields are sealed with it (AES-256-GCM), and the data key is wrapped by the
 * KeyWrapper's active key-encryption key. Both layers carry the record's binding (purpose, owner,
 * record id, kind) as associated data, so a row copied to another organization or record does not
 * open.
 *
 * Unwrapped data keys are kept in a bounded LRU cache keyed by the wrapped key itself, so a warm resolve
 * never touches the KEK (or a KMS); a re-wrapped row has new wrapped bytes and misses the old entry.
 */
@Injectable()
export class CredentialCipher {
  private readonly dataKeys?: LRUCache<string, Buffer>;
  private readonly unwraps: Counter<never>;

  constructor(
    @Inject(KEY_WRAPPER) private readonly wrapper: KeyWrapper,
    @Inject(APP_CONFIG) config: AppConfig,
    metrics: MetricsService,
  ) {
    const max = config.credentials.dataKeyCacheSize;
    this.dataKeys = max > 0 ? new LRUCache({ max }) : undefined;
    this.unwraps = metrics.counter(
      'alphaswarm_credentials_data_key_unwraps_total',
      'Data keys unwrapped with a key-encryption key (cache misses); a warm resolve adds none',
      [],
    );
  }

  get activeKekId(): string {
    return this.wrapper.activeKekId;
  }

  /** Seals `fields` for the record `binding` names; returns what to store and the secret's fingerprint. */
  async seal(
    binding: SecretBinding,
    fields: SecretFields,
  ): Promise<{ sealed: SealedSecret; fingerprint: string }> {
    const context = contextOf(binding);
    const dataKey = randomBytes(32);
    const { kekId, wrapped } = await this.wrapper.wrap(dataKey, context);
    const ciphertext = seal(dataKey, Buffer.from(JSON.stringify(fields), 'utf8'), context);
    this.dataKeys?.set(cacheKey(context, kekId, wrapped), dataKey);
    return {
      sealed: { kekId, wrappedKey: wrapped, ciphertext },
      fingerprint: fingerprintOf(dataKey, fields),
    };
  }

  /** The fields of a stored secret; throws `SealError` when the row does not open as this record. */
  async open(binding: SecretBinding, sealed: SealedSecret): Promise<SecretFields> {
    const context = contextOf(binding);
    const dataKey = await this.dataKeyOf(context, sealed);
    const parsed: unknown = JSON.parse(open(dataKey, sealed.ciphertext, context).toString('utf8'));
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new SealError();
    return parsed as SecretFields;
  }

  /**
   * The same secret with its data key wrapped under the active KEK, or `undefined` when it already is.
   * The ciphertext is unchanged: rotation touches one small value per row.
   */
  async rewrap(binding: SecretBinding, sealed: SealedSecret): Promise<SealedSecret | undefined> {
    if (sealed.kekId === this.wrapper.activeKekId) return undefined;
    const context = contextOf(binding);
    const dataKey = await this.wrapper.unwrap({ kekId: sealed.kekId, wrapped: sealed.wrappedKey }, context);
    this.unwraps.inc();
    // Proves the pair still belongs together before the old wrapping is thrown away.
    open(dataKey, sealed.ciphertext, context);
    const { kekId, wrapped } = await this.wrapper.wrap(dataKey, context);
    return { kekId, wrappedKey: wrapped, ciphertext: sealed.ciphertext };
  }

  /** Drops every cached data key (after a rotation, or when keys are withdrawn). */
  forgetDataKeys(): void {
    this.dataKeys?.clear();
  }

  private async dataKeyOf(context: Buffer, sealed: SealedSecret): Promise<Buffer> {
    const key = this.dataKeys ? cacheKey(context, sealed.kekId, sealed.wrappedKey) : '';
    const cached = this.dataKeys?.get(key);
    if (cached) return cached;
    const dataKey = await this.wrapper.unwrap({ kekId: sealed.kekId, wrapped: sealed.wrappedKey }, context);
    this.unwraps.inc();
    this.dataKeys?.set(key, dataKey);
    return dataKey;
  }
}

/** The associated data of both layers: unambiguous (NUL-separated ids that cannot hold NUL). */
export function contextOf(binding: SecretBinding): Buffer {
  return Buffer.from(
    ['alphaswarm.credential.v1', binding.purpose, binding.ownerId, binding.recordId, binding.kind].join('\0'),
    'utf8',
  );
}

function cacheKey(context: Buffer, kekId: string, wrapped: Buffer): string {
  return `${context.toString('base64')}.${kekId}.${wrapped.toString('base64')}`;
}

/**
 * A short identifier of one stored secret value: HMAC-SHA256 under the record's own data key, so it
 * changes when the secret is replaced, and (unlike a plain hash) cannot be used to test guesses of the
 * secret without the key.
 */
function fingerprintOf(dataKey: Buffer, fields: SecretFields): string {
  const canonical = JSON.stringify(
    Object.keys(fields)
      .sort()
      .map((name) => [name, fields[name]]),
  );
  return `fp_${createHmac('sha256', dataKey).update('fingerprint\0').update(canonical).digest('hex').slice(0, 16)}`;
}
