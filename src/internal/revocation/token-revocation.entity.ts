import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * "Tokens of `subject` issued at or before `revokedBefore` are refused" (docs/revocation.md). One row
 * per subject; a later revocation only ever moves `revokedBefore` forward.
 */
@Entity('token_revocations')
export class TokenRevocation {
  /** The token's `sub` (Auth0's `user_id`). */
  @PrimaryColumn({ type: 'text', primaryKeyConstraintName: 'pk_token_revocations' }) subject!: string;
  @Column({ name: 'revoked_before', type: 'timestamptz' }) revokedBefore!: Date;
  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' }) updatedAt!: Date;
}
