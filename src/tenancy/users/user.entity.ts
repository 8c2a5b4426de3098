import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

@Entity('users')
export class User {
  @PrimaryGeneratedColumn('uuid') id!: string;
  /** The IdP subject (`auth0|…`, `google-oauth2|…`, or `local|…` under the local provider). */
  @Column({ type: 'text', unique: true }) sub!: string;
  @Column({ type: 'text', nullable: true }) email!: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}
