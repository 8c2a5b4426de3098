import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { APP_CONFIG, type AppConfig, ConfigError } from '../config/app-config';

/** The role every transaction runs as: no BYPASSRLS, no ownership (created by the migrations). */
export const APP_ROLE = 'alphaswarm_app';

/**
 * Whose rows a transaction may see under `ALPHASWARM_TENANCY_RLS_ENFORCE=strict`:
 * - `org`: one organization's rows (and, with `workspaceId`, only that workspace's projects and labs);
 * - `user`: the caller's own memberships and the organizations they belong to, across organizations;
 * - `system`: everything, for work no single tenant owns (boot seeding, invite lookup, cluster admin).
 */
export type TenantScope =
  | { readonly kind: 'org'; readonly orgId: string; readonly workspaceId?: string }
  | { readonly kind: 'user'; readonly userId: string }
  | { readonly kind: 'system' };

export const SYSTEM_SCOPE: TenantScope = { kind: 'system' };

/*
 * One statement: the transaction-local role and the settings the row-level policies read
 * (migrations/…-CreateTenancy.ts). `set_config(…, true)` ends with the transaction, so a pooled
 * connection never carries one request's tenant into the next.
 */
const ENTER_SCOPE = `SELECT set_config('role', '${APP_ROLE}', true),
  set_config('alphaswarm.scope', $1, true), set_config('alphaswarm.org_id', $2, true),
  set_config('alphaswarm.workspace_id', $3, true), set_config('alphaswarm.user_id', $4, true)`;

/**
 * The way the service touches tenant data: a transaction as `alphaswarm_app` with the caller's tenant
 * set. Under `strict` the policies then filter every query, including one that forgets its
 * `WHERE org_id = …`; under `off` every transaction is `system` and the policies pass everything.
 */
@Injectable()
export class TenantDb implements OnModuleInit {
  private readonly strict: boolean;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly dataSource: DataSource,
  ) {
    this.strict = config.tenancy.rlsEnforce === 'strict';
  }

  /** Refuses to start when the role is missing or could bypass the policies (fail closed). */
  async onModuleInit(): Promise<void> {
    const rows = await this.dataSource.query<{ rolsuper: boolean; rolbypassrls: boolean }[]>(
      `SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = $1`,
      [APP_ROLE],
    );
    const role = rows[0];
    if (!role) {
      throw new ConfigError(
        'ALPHASWARM_DB_MIGRATE',
        `the database has no role ${APP_ROLE}; run the migrations (ALPHASWARM_DB_MIGRATE=true) once`,
      );
    }
    if (role.rolsuper || role.rolbypassrls) {
      throw new ConfigError(
        'DATABASE_URL',
        `role ${APP_ROLE} is a superuser or has BYPASSRLS; run ALTER ROLE ${APP_ROLE} NOSUPERUSER NOBYPASSRLS`,
      );
    }
  }

  run<T>(scope: TenantScope, work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(async (manager) => {
      await manager.query(ENTER_SCOPE, this.settingsOf(scope));
      return work(manager);
    });
  }

  private settingsOf(scope: TenantScope): [string, string, string, string] {
    if (!this.strict || scope.kind === 'system') return ['system', '', '', ''];
    if (scope.kind === 'user') return ['', '', '', scope.userId];
    return ['', scope.orgId, scope.workspaceId ?? '', ''];
  }
}
