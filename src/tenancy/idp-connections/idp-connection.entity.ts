import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  type Relation,
  Unique,
} from 'typeorm';
import { Organization } from '../organizations/organization.entity';

export const IDP_KINDS = [
  'entra',
  'google_workspace',
  'aws_iam_identity_center',
  'okta',
  'onelogin',
  'jumpcloud',
  'generic_saml',
  'generic_oidc',
] as const;
export type IdpKind = (typeof IDP_KINDS)[number];
export const IDP_CONNECTION_STATUSES = ['active', 'disabled'] as const;
export type IdpConnectionStatus = (typeof IDP_CONNECTION_STATUSES)[number];

/** An enterprise IdP an organization signs in with: the Auth0 connection that fronts it. */
@Entity('idp_connections')
@Unique('uq_idp_connections_org_connection', ['orgId', 'connectionName'])
@Check(
  'ck_idp_connections_kind',
  `kind IN ('entra', 'google_workspace', 'aws_iam_identity_center', 'okta', 'onelogin', 'jumpcloud', 'generic_saml', 'generic_oidc')`,
)
@Check('ck_idp_connections_status', `status IN ('active', 'disabled')`)
export class IdpConnection {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ name: 'org_id', type: 'uuid' }) orgId!: string;
  @ManyToOne(() => Organization, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'org_id', foreignKeyConstraintName: 'fk_idp_connections_org' })
  organization!: Relation<Organization>;
  @Column({ type: 'text' }) kind!: IdpKind;
  /** The Auth0 connection name (`event.connection.name` in an Action). */
  @Column({ name: 'connection_name', type: 'text' }) connectionName!: string;
  @Column({ type: 'text', default: 'active' }) status!: IdpConnectionStatus;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}
