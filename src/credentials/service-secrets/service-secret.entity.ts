import { Column, Entity, PrimaryGeneratedColumn, Unique, UpdateDateColumn } from 'typeorm';

/** The secrets this service itself needs, by name (CredentialResolver). */
export const SERVICE_SECRET_NAMES = ['auth0_mgmt_api_client_secret', 'agent_broker_client_secret'] as const;
export type ServiceSecretName = (typeof SERVICE_SECRET_NAMES)[number];

/**
 * One of the service's own secrets, envelope-encrypted like broker credentials and seeded by an operator
 * (`npm run credentials:set-service-secret`). Read by the service only; no route exposes it.
 */
@Entity('service_secrets')
@Unique('uq_service_secrets_name', ['name'])
export class ServiceSecret {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ type: 'text' }) name!: ServiceSecretName;
  @Column({ type: 'text' }) fingerprint!: string;
  @Column({ name: 'last_four', type: 'text' }) lastFour!: string;
  @Column({ name: 'kek_id', type: 'text' }) kekId!: string;
  @Column({ name: 'wrapped_key', type: 'bytea' }) wrappedKey!: Buffer;
  @Column({ type: 'bytea' }) ciphertext!: Buffer;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}
