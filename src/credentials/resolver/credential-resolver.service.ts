import { Injectable } from '@nestjs/common';
import { RequestError } from '../../common/errors/request-error';
import { TenantDb } from '../../database/tenant-db';
import type { ChangeActor } from '../../tenancy/org-scope/org-access';
import { BrokerCredential } from '../broker-credentials/broker-credential.entity';
import { brokerBinding } from '../broker-credentials/broker-credentials.service';
import { SealError } from '../envelope/aes-gcm';
import { CredentialCipher } from '../envelope/credential-cipher';
import { ResolveAudit } from './resolve-audit';
import type { ResolveCredentialBody, ResolvedCredential } from './resolve.dto';

/** Who resolves: the M2M client, as its ledger rows name it. */
export interface ResolveCaller {
  readonly clientId: string;
  readonly actor: ChangeActor;
}

/**
 * Resolves broker credentials to their plaintext for the platform's services. Every resolve is written
 * to the ledger with the calling client before the answer leaves (by group commit, ResolveAudit); a
 * resolve that fails (no such credential, a row that does not open) is written as a failure.
 */
@Injectable()
export class CredentialResolverService {
  constructor(
    private readonly tenantDb: TenantDb,
    private readonly cipher: CredentialCipher,
    private readonly audit: ResolveAudit,
  ) {}

  async resolve(caller: ResolveCaller, body: ResolveCredentialBody): Promise<ResolvedCredential> {
    if ((body.credential_id === undefined) === (body.name === undefined)) {
      throw new RequestError(
        'invalid_request',
        400,
        'name the credential by credential_id or by name, not both',
      );
    }
    const orgId = body.org_id.toLowerCase();
    const event = {
      eventType: 'credentials.broker_credential_resolved',
      orgId,
      userId: caller.actor.sub,
      route: caller.actor.route,
      ip: caller.actor.ip,
      requestId: caller.actor.requestId,
    };
    let resolved: ResolvedCredential;
    try {
      const credential = await this.tenantDb.run({ kind: 'org', orgId }, (db) =>
        db.getRepository(BrokerCredential).findOneBy({
          orgId,
          ...(body.credential_id !== undefined ? { id: body.credential_id } : { name: body.name }),
        }),
      );
      if (!credential) throw new RequestError('not_found', 404, 'No such broker credential');
      const secret = await this.cipher.open(brokerBinding(credential), credential).catch((error: unknown) => {
        throw error instanceof SealError
          ? new RequestError(
              'credential_unreadable',
              503,
              'The stored credential does not open under the configured keys',
            )
          : error;
      });
      resolved = {
        id: credential.id,
        org_id: credential.orgId,
        name: credential.name,
        kind: credential.kind,
        environment: credential.environment,
        metadata: credential.metadata,
        fingerprint: credential.fingerprint,
        secret,
      };
    } catch (error) {
      if (error instanceof RequestError) {
        await this.audit.record({
          ...event,
          outcome: 'failure',
          reason: error.reason,
          details: {
            credential_id: body.credential_id ?? null,
            name: body.name ?? null,
            client_id: caller.clientId,
          },
        });
      }
      throw error;
    }
    // The plaintext leaves only once its ledger row is committed.
    await this.audit.record({
      ...event,
      outcome: 'success',
      details: {
        credential_id: resolved.id,
        name: resolved.name,
        kind: resolved.kind,
        environment: resolved.environment,
        fingerprint: resolved.fingerprint,
        client_id: caller.clientId,
      },
    });
    return resolved;
  }
}
