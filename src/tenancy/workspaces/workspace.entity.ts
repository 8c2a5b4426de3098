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
import { Team } from '../teams/team.entity';

@Entity('workspaces')
@Unique('uq_workspaces_org_name', ['orgId', 'name'])
@Index('ix_workspaces_team', ['teamId'])
export class Workspace {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ name: 'org_id', type: 'uuid' }) orgId!: string;
  @ManyToOne(() => Organization, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'org_id', foreignKeyConstraintName: 'fk_workspaces_org' })
  organization!: Relation<Organization>;
  /** The team it sits under, or null when it sits directly under the organization. */
  @Column({ name: 'team_id', type: 'uuid', nullable: true }) teamId!: string | null;
  @ManyToOne(() => Team, { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'team_id', foreignKeyConstraintName: 'fk_workspaces_team' })
  team!: Relation<Team> | null;
  @Column({ type: 'text' }) name!: string;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}
