import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

@Entity('users')
export class User {
  @PrimaryGeneratedColumn('uuid') id!: string;
  /** The IdP subject (`auth0|…`, `google-oauth2|…`, or `local|…` under the local provider). */
  @Column({ type: 'text', unique: true }) sub!: string;
  @Column({ type: 'text', nullable: true }) email!: string | null;
  /** The Auth0 connection (`event.connection.name`) of the latest login through the JIT sync. */
  @Column({ name: 'last_connection', type: 'text', nullable: true }) lastConnection!: string | null;
  @Column({ name: 'last_login_at', type: 'timestamptz', nullable: true }) lastLoginAt!: Date | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}
