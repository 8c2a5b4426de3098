import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  JoinColumn,
  OneToOne,
  PrimaryGeneratedColumn,
  type Relation,
} from 'typeorm';
import { User } from '../users/user.entity';

export type OrganizationKind = 'personal' | 'institutional';

@Entity('organizations')
@Check('ck_organizations_kind', `kind IN ('personal', 'institutional')`)
export class Organization {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ type: 'text' }) kind!: OrganizationKind;
  @Column({ type: 'text' }) name!: string;
  /** The Auth0 Organization id (`org_…`) of an institutional organization. */
  @Column({ name: 'auth0_org_id', type: 'text', nullable: true, unique: true }) auth0OrgId!: string | null;
  /**
   * The user a personal organization was created for by the JIT sync (one per user: unique). It stays
   * set if the organization later becomes institutional, so the sync never makes the user a second one.
   */
  @Column({ name: 'personal_owner_id', type: 'uuid', nullable: true, unique: true })
  personalOwnerId!: string | null;
  @OneToOne(() => User, { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'personal_owner_id', foreignKeyConstraintName: 'fk_organizations_personal_owner' })
  personalOwner!: Relation<User> | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}
