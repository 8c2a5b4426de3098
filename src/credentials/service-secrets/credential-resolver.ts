import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { SYSTEM_SCOPE, TenantDb } from '../../database/tenant-db';
import { CredentialCipher, type SecretBinding } from '../envelope/credential-cipher';
import { ServiceSecret, type ServiceSecretName } from './service-secret.entity';

/** The binding of a service secret: its name is its record. */
export const serviceSecretBinding = (name: string): SecretBinding => ({
  purpose: 'service_secret',
  ownerId: 'service',
  recordId: name,
  kind: name,
});

/**
 * Resolves the secrets this service itself needs (the Auth0 Management API client secret, the
 * agent-broker client secret). In production only from the encrypted store (`service_secrets`, seeded
 * with `npm run credentials:set-service-secret`), so no production secret need live in a plain
 * environment variable; in development and tests from the environment first, then the store.
 * See docs/credentials.md, "The service's own secrets".
 */
@Injectable()
export class CredentialResolver {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly tenantDb: TenantDb,
    private readonly cipher: CredentialCipher,
  ) {}

  /** The secret, or undefined when it is configured nowhere. Throws `SealError` for a row that does not open. */
  async resolve(name: ServiceSecretName): Promise<string | undefined> {
    if (this.config.nodeEnv !== 'production') {
      const fromEnv = this.config.credentials.serviceSecretsFromEnv[name];
      if (fromEnv !== undefined) return fromEnv;
    }
    const row = await this.tenantDb.run(SYSTEM_SCOPE, (db) =>
      db.getRepository(ServiceSecret).findOneBy({ name }),
    );
    if (!row) return undefined;
    const fields = await this.cipher.open(serviceSecretBinding(name), row);
    return fields.value;
  }
}
