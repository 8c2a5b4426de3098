import type { AuthenticatedRequest } from '../../identity/request-context';
import type { Role } from '../memberships/membership.entity';

/** Who changes tenancy, and from where: what every ledger row of the change carries. */
export interface ChangeActor {
  /** The IdP subject on whose authority the change runs. */
  readonly sub: string;
  readonly requestId: string;
  readonly ip: string;
  /** The route template, never the raw path. */
  readonly route: string;
}

/** What `@OrgScoped` established: the organization, and who the caller is there. */
export interface OrgAccess {
  readonly orgId: string;
  /** The caller's internal user id; null for a cluster admin without a user row. */
  readonly userId: string | null;
  /** The caller's organization-level role (null: narrower memberships only). */
  readonly role: Role | null;
  /** Passed on `admin:cluster`, not on a membership. */
  readonly clusterAdmin: boolean;
  readonly actor: ChangeActor;
}

export interface OrgScopedRequest extends AuthenticatedRequest {
  /** Declared on every request up front (`decorateRequest`), so requests keep one shape. */
  orgAccess?: OrgAccess | null;
}
