import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** The `jti` of an accepted back-channel logout token, kept until the token expires (replay defence). */
@Entity('oidc_logout_token_jtis')
@Index('ix_oidc_logout_token_jtis_expires', ['expiresAt'])
export class LogoutTokenJti {
  @PrimaryColumn({ type: 'text', primaryKeyConstraintName: 'pk_oidc_logout_token_jtis' }) jti!: string;
  @Column({ name: 'expires_at', type: 'timestamptz' }) expiresAt!: Date;
}
