import type { BrokerKind } from '../broker-credentials/broker-credential.entity';
import { brokerBinding } from '../broker-credentials/broker-credentials.service';
import { serviceSecretBinding } from '../service-secrets/credential-resolver';
import type { SealedTable } from './kek-rotation';

/** Every table holding sealed secrets, for key rotation. */
export const SEALED_TABLES: readonly SealedTable[] = [
  {
    table: 'broker_credentials',
    columns: ['org_id', 'kind'],
    bindingOf: (row) => brokerBinding({ id: row.id, orgId: row.org_id, kind: row.kind as BrokerKind }),
  },
  { table: 'service_secrets', columns: ['name'], bindingOf: (row) => serviceSecretBinding(row.name) },
];
