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
import { IdpConnection } from '../idp-connections/idp-connection.entity';
import type { ScopeKind } from '../memberships/membership.entity';
import { type Role, roleCheck } from '../memberships/roles';
import { Organization } from '../organizations/organization.entity';

/** `(org, connection, external_group) → (scope_kind, scope_id, role)`: what an IdP group grants. */
@Entity('idp_group_mappings')
@Unique('uq_idp_group_mappings_group_scope', ['connectionId', 'externalGroup', 'scopeKind', 'scopeId'])
@Index('ix_idp_group_mappings_org', ['orgId'])
@Check(
  'ck_idp_group_mappings_scope_kind',
  `scope_kind IN ('organization', 'team', 'workspace', 'project', 'lab')`,
)
@Check('ck_idp_group_mappings_role', roleCheck('role'))
export class IdpGroupMapping {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ name: 'org_id', type: 'uuid' }) orgId!: string;
  @ManyToOne(() => Organization, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'org_id', foreignKeyConstraintName: 'fk_idp_group_mappings_org' })
  organization!: Relation<Organization>;
  @Column({ name: 'connection_id', type: 'uuid' }) connectionId!: string;
  @ManyToOne(() => IdpConnection, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'connection_id', foreignKeyConstraintName: 'fk_idp_group_mappings_connection' })
  connection!: Relation<IdpConnection>;
  @Column({ name: 'external_group', type: 'text' }) externalGroup!: string;
  @Column({ name: 'scope_kind', type: 'text' }) scopeKind!: ScopeKind;
  @Column({ name: 'scope_id', type: 'uuid' }) scopeId!: string;
  @Column({ type: 'text' }) role!: Role;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}
