import { Injectable, type OnModuleInit } from '@nestjs/common';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK, type KeyLike } from 'jose';
import { DataSource } from 'typeorm';
import { LocalSigningKey } from './signing-key.entity';

const ALG = 'RS256';

/**
 * The local issuer's key pair: loaded from the database, or generated and stored on first boot. Instances
 * that boot together insert concurrently; the one-active-key index lets exactly one win and every
 * instance reads the winner back.
 */
@Injectable()
export class LocalSigningKeys implements OnModuleInit {
  private key?: { kid: string; privateKey: KeyLike | Uint8Array; publicJwk: JWK };

  constructor(private readonly dataSource: DataSource) {}

  async onModuleInit(): Promise<void> {
    const keys = this.dataSource.getRepository(LocalSigningKey);
    let row = await keys.findOneBy({ active: true });
    if (!row) {
      const pair = await generateKeyPair(ALG, { modulusLength: 2048, extractable: true });
      const publicJwk = await exportJWK(pair.publicKey);
      const kid = await calculateJwkThumbprint(publicJwk);
      await keys
        .createQueryBuilder()
        .insert()
        .values({
          kid,
          alg: ALG,
          publicJwk: { ...publicJwk, kid, alg: ALG, use: 'sig' },
          privateJwk: await exportJWK(pair.privateKey),
          active: true,
        })
        .orIgnore()
        .execute();
      row = await keys.findOneByOrFail({ active: true });
    }
    this.key = { kid: row.kid, privateKey: await importJWK(row.privateJwk, ALG), publicJwk: row.publicJwk };
  }

  get alg(): string {
    return ALG;
  }

  get kid(): string {
    return this.loaded().kid;
  }

  get privateKey(): KeyLike | Uint8Array {
    return this.loaded().privateKey;
  }

  jwks(): { keys: JWK[] } {
    return { keys: [this.loaded().publicJwk] };
  }

  private loaded() {
    if (!this.key) throw new Error('local signing key not loaded yet');
    return this.key;
  }
}
