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
} from 'typeorm';
import { Organization } from '../organizations/organization.entity';
import { User } from '../users/user.entity';
import { type Role, roleCheck } from './roles';

export type ScopeKind = 'organization' | 'team' | 'workspace' | 'project' | 'lab';
/** The role lattice lives in ./roles; re-exported because the entity is where readers look for it. */
export { ROLES, type Role } from './roles';
export type MembershipSource = 'manual' | 'invite' | 'idp_group' | 'jit';

@Entity('memberships')
@Unique('uq_memberships_user_scope', ['userId', 'scopeKind', 'scopeId'])
@Index('ix_memberships_org', ['orgId'])
@Index('ix_memberships_user', ['userId'])
@Check('ck_memberships_scope_kind', `scope_kind IN ('organization', 'team', 'workspace', 'project', 'lab')`)
@Check('ck_memberships_role', roleCheck('role'))
@Check('ck_memberships_source', `source IN ('manual', 'invite', 'idp_group', 'jit')`)
export class Membership {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ name: 'user_id', type: 'uuid' }) userId!: string;
  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'fk_memberships_user' })
  user!: Relation<User>;
  /** Every membership belongs to one organization, whatever its scope: the tenant key. */
  @Column({ name: 'org_id', type: 'uuid' }) orgId!: string;
  @ManyToOne(() => Organization, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'org_id', foreignKeyConstraintName: 'fk_memberships_org' })
  organization!: Relation<Organization>;
  @Column({ name: 'scope_kind', type: 'text' }) scopeKind!: ScopeKind;
  @Column({ name: 'scope_id', type: 'uuid' }) scopeId!: string;
  @Column({ type: 'text' }) role!: Role;
  @Column({ type: 'text' }) source!: MembershipSource;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}
