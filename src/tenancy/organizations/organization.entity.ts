import { Check, Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

export type OrganizationKind = 'personal' | 'institutional';

@Entity('organizations')
@Check('ck_organizations_kind', `kind IN ('personal', 'institutional')`)
export class Organization {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ type: 'text' }) kind!: OrganizationKind;
  @Column({ type: 'text' }) name!: string;
  /** The Auth0 Organization id (`org_…`) of an institutional organization. */
  @Column({ name: 'auth0_org_id', type: 'text', nullable: true, unique: true }) auth0OrgId!: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}
