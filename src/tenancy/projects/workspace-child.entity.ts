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
} from 'typeorm';
import { Organization } from '../organizations/organization.entity';
import { Workspace } from '../workspaces/workspace.entity';

/*
 * Projects and labs are the two leaves under a workspace, with the same shape: separate tables (their
 * own ids, constraints and row-level policies) over one entity definition.
 */
function workspaceChild(table: 'projects' | 'labs') {
  @Entity(table)
  @Unique(`uq_${table}_workspace_name`, ['workspaceId', 'name'])
  @Index(`ix_${table}_org`, ['orgId'])
  class WorkspaceChild {
    @PrimaryGeneratedColumn('uuid') id!: string;
    @Column({ name: 'org_id', type: 'uuid' }) orgId!: string;
    @ManyToOne(() => Organization, { onDelete: 'CASCADE' })
    @JoinColumn({ name: 'org_id', foreignKeyConstraintName: `fk_${table}_org` })
    organization!: Relation<Organization>;
    @Column({ name: 'workspace_id', type: 'uuid' }) workspaceId!: string;
    @ManyToOne(() => Workspace, { onDelete: 'CASCADE' })
    @JoinColumn({ name: 'workspace_id', foreignKeyConstraintName: `fk_${table}_workspace` })
    workspace!: Relation<Workspace>;
    @Column({ type: 'text' }) name!: string;
    @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  }
  return WorkspaceChild;
}

export const Project = workspaceChild('projects');
export type Project = InstanceType<typeof Project>;
export const Lab = workspaceChild('labs');
export type Lab = InstanceType<typeof Lab>;
