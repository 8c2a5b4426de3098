import type { KeyObject } from 'node:crypto';
import type { KekSet } from '../../config/kek-set';
import { open, seal, SealError } from './aes-gcm';
import type { KeyWrapper, WrappedDataKey } from './key-wrapper';

/**
 * The KeyWrapper over key-encryption keys held in this process (from ALPHASWARM_CREDENTIALS_KEKS, a key
 * file, or a development key). Wrapping is AES-256-GCM with the KEK id and the record's binding as
 * associated data, so a wrapped key moved to another record, or relabelled with another KEK id, fails.
 */
export class LocalKeyring implements KeyWrapper {
  readonly activeKekId: string;
  private readonly activeKey: KeyObject;
  private readonly keys: ReadonlyMap<string, KeyObject>;

  constructor(keks: KekSet) {
    this.activeKekId = keks.active.id;
    this.activeKey = keks.active.key;
    this.keys = new Map(keks.keys.map((kek) => [kek.id, kek.key]));
  }

  knows(kekId: string): boolean {
    return this.keys.has(kekId);
  }

  wrap(dataKey: Buffer, context: Buffer): Promise<WrappedDataKey> {
    const wrapped = seal(this.activeKey, dataKey, associatedData(this.activeKekId, context));
    return Promise.resolve({ kekId: this.activeKekId, wrapped });
  }

  async unwrap(key: WrappedDataKey, context: Buffer): Promise<Buffer> {
    const kek = this.keys.get(key.kekId);
    if (!kek) throw new SealError();
    return Promise.resolve(open(kek, key.wrapped, associatedData(key.kekId, context)));
  }
}

function associatedData(kekId: string, context: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`alphaswarm.kek\0${kekId}\0`, 'utf8'), context]);
}
