import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  type Relation,
  Unique,
  UpdateDateColumn,
} from 'typeorm';
import { User } from '../../tenancy/users/user.entity';

/**
 * A person's connection to an OAuth provider: the tokens envelope-encrypted like broker credentials,
 * bound to the user. One per user and provider; connecting again replaces it.
 */
@Entity('oauth_connections')
@Unique('uq_oauth_connections_user_provider', ['userId', 'provider'])
@Index('ix_oauth_connections_kek', ['kekId'])
export class OAuthConnection {
  /** Chosen by the service before the insert: the ciphertext is bound to it. */
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ name: 'user_id', type: 'uuid' }) userId!: string;
  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'fk_oauth_connections_user' })
  user!: Relation<User>;
  @Column({ type: 'text' }) provider!: string;
  /** The account at the provider (the ID token's `sub`, or its email when given); null when unknown. */
  @Column({ type: 'text', nullable: true }) account!: string | null;
  @Column({ type: 'text' }) scopes!: string;
  /** When the access token expires (null: the provider did not say). */
  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true }) expiresAt!: Date | null;
  @Column({ type: 'text' }) fingerprint!: string;
  @Column({ name: 'kek_id', type: 'text' }) kekId!: string;
  @Column({ name: 'wrapped_key', type: 'bytea' }) wrappedKey!: Buffer;
  @Column({ type: 'bytea' }) ciphertext!: Buffer;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}

/**
 * A started connection: the hash of its `state`, the user it is bound to, and the PKCE verifier
 * (sealed). Deleted when the callback uses it; useless after `expires_at`.
 */
@Entity('oauth_authorizations')
@Unique('uq_oauth_authorizations_state', ['stateHash'])
export class OAuthAuthorization {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ name: 'user_id', type: 'uuid' }) userId!: string;
  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'fk_oauth_authorizations_user' })
  user!: Relation<User>;
  @Column({ type: 'text' }) provider!: string;
  @Column({ name: 'state_hash', type: 'text' }) stateHash!: string;
  @Column({ name: 'kek_id', type: 'text' }) kekId!: string;
  @Column({ name: 'wrapped_key', type: 'bytea' }) wrappedKey!: Buffer;
  @Column({ type: 'bytea' }) ciphertext!: Buffer;
  @Column({ name: 'expires_at', type: 'timestamptz' }) expiresAt!: Date;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}
