import { Injectable } from '@nestjs/common';
import { RequestError } from '../../common/errors/request-error';
import { TenantDb } from '../../database/tenant-db';
import type { ChangeActor } from '../../tenancy/org-scope/org-access';
import { AuditLedger } from '../../audit/ledger/audit-ledger';
import { BrokerCredential } from '../broker-credentials/broker-credential.entity';
import { brokerBinding } from '../broker-credentials/broker-credentials.service';
import { CredentialsAudit } from '../credentials-audit';
import { SealError } from '../envelope/aes-gcm';
import { CredentialCipher } from '../envelope/credential-cipher';
import type { ResolveCredentialBody, ResolvedCredential } from './resolve.dto';

/** Who resolves: the M2M client, as its ledger rows name it. */
export interface ResolveCaller {
  readonly clientId: string;
  readonly actor: ChangeActor;
}

/**
 * Resolves broker credentials to their plaintext for the platform's services. Every resolve is written
 * to the ledger with the calling client, in the transaction that read the row; a resolve that fails
 * (no such credential, a row that does not open) is written as a failure.
 */
@Injectable()
export class CredentialResolverService {
  constructor(
    private readonly tenantDb: TenantDb,
    private readonly cipher: CredentialCipher,
    private readonly audit: CredentialsAudit,
    private readonly ledger: AuditLedger,
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
    try {
      return await this.tenantDb.run({ kind: 'org', orgId }, async (db) => {
        const credential = await db.getRepository(BrokerCredential).findOneBy({
          orgId,
          ...(body.credential_id !== undefined ? { id: body.credential_id } : { name: body.name }),
        });
        if (!credential) throw new RequestError('not_found', 404, 'No such broker credential');
        const secret = await this.cipher.open(brokerBinding(credential), credential);
        await this.audit.record(db, caller.actor, orgId, 'credentials.broker_credential_resolved', {
          credential_id: credential.id,
          name: credential.name,
          kind: credential.kind,
          environment: credential.environment,
          fingerprint: credential.fingerprint,
          client_id: caller.clientId,
        });
        return {
          id: credential.id,
          org_id: credential.orgId,
          name: credential.name,
          kind: credential.kind,
          environment: credential.environment,
          metadata: credential.metadata,
          fingerprint: credential.fingerprint,
          secret,
        };
      });
    } catch (error) {
      const refusal =
        error instanceof SealError
          ? new RequestError(
              'credential_unreadable',
              503,
              'The stored credential does not open under the configured keys',
            )
          : error;
      if (refusal instanceof RequestError) await this.recordFailure(caller, orgId, body, refusal);
      throw refusal;
    }
  }

  private recordFailure(
    caller: ResolveCaller,
    orgId: string,
    body: ResolveCredentialBody,
    refusal: RequestError,
  ): Promise<void> {
    return this.ledger.record({
      eventType: 'credentials.broker_credential_resolved',
      outcome: 'failure',
      reason: refusal.reason,
      orgId,
      userId: caller.actor.sub,
      route: caller.actor.route,
      ip: caller.actor.ip,
      requestId: caller.actor.requestId,
      details: {
        credential_id: body.credential_id ?? null,
        name: body.name ?? null,
        client_id: caller.clientId,
      },
    });
  }
}
