import {
  Check,
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
import { Organization } from '../../tenancy/organizations/organization.entity';

export const BROKER_KINDS = ['alpaca', 'generic'] as const;
export type BrokerKind = (typeof BROKER_KINDS)[number];
export const ALPACA_ENVIRONMENTS = ['paper', 'live'] as const;
export type AlpacaEnvironment = (typeof ALPACA_ENVIRONMENTS)[number];

/**
 * An organization's own credential at a broker (BYOK). The secret fields are envelope-encrypted
 * (`kek_id`, `wrapped_key`, `ciphertext`; docs/credentials.md); what a person may see of them is the
 * fingerprint and the last four characters of the key id.
 */
@Entity('broker_credentials')
@Unique('uq_broker_credentials_org_name', ['orgId', 'name'])
@Index('ix_broker_credentials_kek', ['kekId'])
@Check('ck_broker_credentials_kind', `kind IN ('alpaca', 'generic')`)
@Check(
  'ck_broker_credentials_environment',
  `(kind = 'alpaca' AND environment IN ('paper', 'live')) OR (kind <> 'alpaca' AND environment IS NULL)`,
)
export class BrokerCredential {
  /** Chosen by the service before the insert: the ciphertext is bound to it. */
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ name: 'org_id', type: 'uuid' }) orgId!: string;
  @ManyToOne(() => Organization, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'org_id', foreignKeyConstraintName: 'fk_broker_credentials_org' })
  organization!: Relation<Organization>;
  @Column({ type: 'text' }) name!: string;
  @Column({ type: 'text' }) kind!: BrokerKind;
  /** Alpaca's `paper` or `live`; null for other kinds. */
  @Column({ type: 'text', nullable: true }) environment!: AlpacaEnvironment | null;
  /** Free-form labels (strings only), never secret. */
  @Column({ type: 'jsonb' }) metadata!: Record<string, string>;
  @Column({ type: 'text' }) fingerprint!: string;
  @Column({ name: 'last_four', type: 'text' }) lastFour!: string;
  @Column({ name: 'kek_id', type: 'text' }) kekId!: string;
  @Column({ name: 'wrapped_key', type: 'bytea' }) wrappedKey!: Buffer;
  @Column({ type: 'bytea' }) ciphertext!: Buffer;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}
