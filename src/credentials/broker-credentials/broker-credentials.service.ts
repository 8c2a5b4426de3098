import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { RequestError } from '../../common/errors/request-error';
import { TenantDb } from '../../database/tenant-db';
import type { OrgAccess } from '../../tenancy/org-scope/org-access';
import { type Page, type PageQuery, pageOf } from '../../tenancy/pagination';
import { CredentialsAudit } from '../credentials-audit';
import { CredentialCipher, type SecretBinding, type SecretFields } from '../envelope/credential-cipher';
import { BrokerCredential, type BrokerKind } from './broker-credential.entity';
import {
  type BrokerCredentialResponse,
  type CreateBrokerCredentialBody,
  type ReplaceBrokerSecretBody,
  toBrokerCredentialResponse,
} from './broker-credentials.dto';
import { environmentOf, lastFourOf, metadataOf, secretFieldsOf } from './broker-secrets';

export const notFound = (): RequestError => new RequestError('not_found', 404, 'No such broker credential');

/** The binding every broker credential's secret is sealed to (docs/credentials.md). */
export const brokerBinding = (
  credential: Pick<BrokerCredential, 'orgId' | 'id' | 'kind'>,
): SecretBinding => ({
  purpose: 'broker_credential',
  ownerId: credential.orgId,
  recordId: credential.id,
  kind: credential.kind,
});

/**
 * An organization's broker credentials. People create, list, replace and delete them; nobody reads a
 * secret back here — the platform's services resolve them through the internal resolver.
 */
@Injectable()
export class BrokerCredentialsService {
  constructor(
    private readonly tenantDb: TenantDb,
    private readonly cipher: CredentialCipher,
    private readonly audit: CredentialsAudit,
  ) {}

  list(orgId: string, query: PageQuery): Promise<Page<BrokerCredentialResponse>> {
    return this.tenantDb.run({ kind: 'org', orgId }, (db) =>
      pageOf(
        db
          .getRepository(BrokerCredential)
          .createQueryBuilder('credential')
          .where('credential.orgId = :orgId', { orgId }),
        query,
        toBrokerCredentialResponse,
      ),
    );
  }

  get(orgId: string, credentialId: string): Promise<BrokerCredentialResponse> {
    return this.tenantDb.run({ kind: 'org', orgId }, async (db) =>
      toBrokerCredentialResponse(await this.find(db, orgId, credentialId)),
    );
  }

  /** Checks everything before sealing; a second credential with the same name is a 409. */
  async create(org: OrgAccess, body: CreateBrokerCredentialBody): Promise<BrokerCredentialResponse> {
    const kind = body.kind;
    const environment = environmentOf(kind, body.environment);
    const fields = secretFieldsOf(kind, body.secret);
    const metadata = metadataOf(body.metadata);
    const orgId = org.orgId;
    const id = randomUUID();
    const sealed = await this.sealed({ orgId, id, kind }, fields);
    return this.tenantDb.run({ kind: 'org', orgId }, async (db) => {
      const credentials = db.getRepository(BrokerCredential);
      const credential = credentials.create({
        id,
        orgId,
        name: body.name,
        kind,
        environment,
        metadata,
        ...sealed,
      });
      await credentials.insert(credential);
      await this.audit.record(db, org.actor, orgId, 'credentials.broker_credential_created', {
        ...described(credential),
      });
      return toBrokerCredentialResponse(credential);
    });
  }

  /** A fresh data key and ciphertext for the new secret; the old ones are gone with the update. */
  async replaceSecret(
    org: OrgAccess,
    credentialId: string,
    body: ReplaceBrokerSecretBody,
  ): Promise<BrokerCredentialResponse> {
    const orgId = org.orgId;
    return this.tenantDb.run({ kind: 'org', orgId }, async (db) => {
      const credentials = db.getRepository(BrokerCredential);
      const current = await this.find(db, orgId, credentialId, true);
      const kind = current.kind;
      const environment =
        body.environment === undefined ? current.environment : environmentOf(kind, body.environment);
      const fields = secretFieldsOf(kind, body.secret);
      const metadata = body.metadata === undefined ? current.metadata : metadataOf(body.metadata);
      const sealed = await this.sealed(current, fields);
      await credentials.update({ id: credentialId, orgId }, { environment, metadata, ...sealed });
      const credential = await this.find(db, orgId, credentialId);
      await this.audit.record(db, org.actor, orgId, 'credentials.broker_credential_secret_replaced', {
        ...described(credential),
        previous_fingerprint: current.fingerprint,
      });
      return toBrokerCredentialResponse(credential);
    });
  }

  async remove(org: OrgAccess, credentialId: string): Promise<void> {
    const orgId = org.orgId;
    await this.tenantDb.run({ kind: 'org', orgId }, async (db) => {
      const credential = await this.find(db, orgId, credentialId, true);
      await db.getRepository(BrokerCredential).delete({ id: credentialId, orgId });
      await this.audit.record(
        db,
        org.actor,
        orgId,
        'credentials.broker_credential_deleted',
        described(credential),
      );
    });
  }

  private async find(
    db: EntityManager,
    orgId: string,
    credentialId: string,
    forUpdate = false,
  ): Promise<BrokerCredential> {
    const credential = await db.getRepository(BrokerCredential).findOne({
      where: { id: credentialId, orgId },
      ...(forUpdate && { lock: { mode: 'pessimistic_write' as const } }),
    });
    if (!credential) throw notFound();
    return credential;
  }

  private async sealed(
    record: { orgId: string; id: string; kind: BrokerKind },
    fields: SecretFields,
  ): Promise<Pick<BrokerCredential, 'kekId' | 'wrappedKey' | 'ciphertext' | 'fingerprint' | 'lastFour'>> {
    const { sealed, fingerprint } = await this.cipher.seal(brokerBinding(record), fields);
    return { ...sealed, fingerprint, lastFour: lastFourOf(record.kind, fields) };
  }
}

/** What the ledger keeps of a credential: who it is and which secret it held, never the secret. */
function described(credential: BrokerCredential): Record<string, unknown> {
  return {
    credential_id: credential.id,
    name: credential.name,
    kind: credential.kind,
    environment: credential.environment,
    fingerprint: credential.fingerprint,
    last_four: credential.lastFour,
  };
}
