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
} from 'typeorm';
import type { ScopeKind } from '../memberships/membership.entity';
import { type Role, roleCheck } from '../memberships/roles';
import { Organization } from '../organizations/organization.entity';
import { User } from '../users/user.entity';

/**
 * An invitation to one scope of an organization, bound to an email. The token handed out is the id
 * plus an HMAC over what the row says (nothing secret is stored); `accepted_at` makes it single-use.
 */
@Entity('invites')
@Index('ix_invites_org', ['orgId'])
@Check('ck_invites_scope_kind', `scope_kind IN ('organization', 'team', 'workspace', 'project', 'lab')`)
@Check('ck_invites_role', roleCheck('role'))
export class Invite {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ name: 'org_id', type: 'uuid' }) orgId!: string;
  @ManyToOne(() => Organization, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'org_id', foreignKeyConstraintName: 'fk_invites_org' })
  organization!: Relation<Organization>;
  /** Lower-cased. */
  @Column({ type: 'text' }) email!: string;
  @Column({ name: 'scope_kind', type: 'text' }) scopeKind!: ScopeKind;
  @Column({ name: 'scope_id', type: 'uuid' }) scopeId!: string;
  @Column({ type: 'text' }) role!: Role;
  @Column({ name: 'invited_by', type: 'uuid', nullable: true }) invitedBy!: string | null;
  @ManyToOne(() => User, { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'invited_by', foreignKeyConstraintName: 'fk_invites_invited_by' })
  inviter!: Relation<User> | null;
  @Column({ name: 'expires_at', type: 'timestamptz' }) expiresAt!: Date;
  @Column({ name: 'accepted_at', type: 'timestamptz', nullable: true }) acceptedAt!: Date | null;
  @Column({ name: 'accepted_by', type: 'uuid', nullable: true }) acceptedBy!: string | null;
  @ManyToOne(() => User, { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'accepted_by', foreignKeyConstraintName: 'fk_invites_accepted_by' })
  acceptor!: Relation<User> | null;
  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true }) revokedAt!: Date | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}
