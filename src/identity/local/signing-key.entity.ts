import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { JWK } from 'jose';

/**
 * The local issuer's RS256 key pair. Generated on first boot and kept, so tokens survive restarts.
 * At most one row is active (partial unique index); instances booting together race on that index and
 * all end up with the winner's key.
 */
@Entity('local_signing_keys')
@Index('uq_local_signing_keys_one_active', ['active'], { unique: true, where: 'active' })
export class LocalSigningKey {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ type: 'text', unique: true }) kid!: string;
  @Column({ type: 'text' }) alg!: string;
  @Column({ name: 'public_jwk', type: 'jsonb' }) publicJwk!: JWK;
  /** Dev-only issuer: the private key sits in the database like any other local fixture. */
  @Column({ name: 'private_jwk', type: 'jsonb' }) privateJwk!: JWK;
  @Column({ type: 'boolean' }) active!: boolean;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}
