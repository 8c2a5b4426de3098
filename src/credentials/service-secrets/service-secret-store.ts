import type { DataSource } from 'typeorm';
import type { CredentialCipher } from '../envelope/credential-cipher';
import { serviceSecretBinding } from './credential-resolver';
import { SERVICE_SECRET_NAMES, ServiceSecret, type ServiceSecretName } from './service-secret.entity';

export const isServiceSecretName = (name: string): name is ServiceSecretName =>
  (SERVICE_SECRET_NAMES as readonly string[]).includes(name);

/**
 * Seals and stores one service secret, replacing the previous value (the operator's seeding command).
 * Writes as the connecting (owner) role: the app role may not write this table.
 */
export async function storeServiceSecret(
  dataSource: DataSource,
  cipher: CredentialCipher,
  name: ServiceSecretName,
  value: string,
): Promise<{ fingerprint: string; lastFour: string }> {
  const { sealed, fingerprint } = await cipher.seal(serviceSecretBinding(name), { value });
  const lastFour = value.slice(-4);
  await dataSource
    .createQueryBuilder()
    .insert()
    .into(ServiceSecret)
    .values({ name, fingerprint, lastFour, ...sealed })
    .orUpdate(['fingerprint', 'last_four', 'kek_id', 'wrapped_key', 'ciphertext', 'updated_at'], ['name'])
    .execute();
  return { fingerprint, lastFour };
}
