import { startTestApp, sample, type TestApp } from '../support/app';
import { type CellEntry, TestControlPlane } from '../support/control-plane';
import { checkJson, type HeaderList } from '../support/ext-authz';
import { TestIssuer } from '../support/issuer';
import { waitFor } from '../support/wait';

const NS = 'https://alphaswarm.internal/';
const cell = (id: string, tier: string, state = 'active'): CellEntry => ({
  id,
  tier,
  region: 'us-east-1',
  state,
});

/**
 * The cells registry against a loopback control plane: tiers are never downgraded, placement is the
 * same on every instance, an outage keeps the last-known-good cells routing (and shows as
 * `registry_stale` in /readyz), and the edge follows the registry when it comes back.
 */
describe('edge cells registry', () => {
  let issuer: TestIssuer;
  let plane: TestControlPlane;
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    plane = await TestControlPlane.start([
      cell('cell-std-1', 'shared-std'),
      cell('cell-std-2', 'shared-std'),
      cell('cell-std-3', 'shared-std'),
      cell('cell-prem-1', 'shared-prem', 'provisioning'),
    ]);
    const env = {
      ALPHASWARM_TENANT_ROUTER_AUTH_MODE: 'required',
      ALPHASWARM_TENANT_ROUTER_OIDC_ISSUER: issuer.url,
      ALPHASWARM_TENANT_ROUTER_OIDC_AUDIENCE: issuer.audience,
      ALPHASWARM_TENANT_ROUTER_CELLS_URL: plane.cellsUrl,
      ALPHASWARM_TENANT_ROUTER_CELLS_POLL_SECONDS: '1',
      ALPHASWARM_TENANT_ROUTER_REGISTRY_STALENESS_WARN_SECONDS: '1',
      ALPHASWARM_TENANT_ROUTER_GRPC_PORT: '0',
    };
    [a, b] = await Promise.all([startTestApp(env), startTestApp(env)]);
    for (const app of [a, b]) {
      await waitFor(async () => (await app.http().get('/readyz')).body.cells === 3, { what: 'three cells' });
    }
  });
  afterAll(async () => {
    await Promise.all([a.close(), b.close()]);
    await plane.stop();
    await issuer.stop();
  });

  const tokenFor = async (tenant: string, tier?: string): Promise<HeaderList> => [
    [
      'authorization',
      `Bearer ${await issuer.token({ [`${NS}tenant_id`]: tenant, ...(tier ? { [`${NS}tier`]: tier } : {}) })}`,
    ],
  ];
  const cellOf = async (app: TestApp, tenant: string, tier?: string) =>
    (await checkJson(app.url, await tokenFor(tenant, tier))).set['x-alphaswarm-cell'];

  it('places each tenant on the same cell on every instance, and spreads tenants over the tier', async () => {
    const placements = new Set<string>();
    for (let i = 0; i < 24; i += 1) {
      const tenant = `tenant-${i}`;
      const [onA, onB] = [await cellOf(a, tenant), await cellOf(b, tenant)];
      expect([tenant, onB]).toEqual([tenant, onA]);
      placements.add(onA);
    }
    expect([...placements].sort()).toEqual(['cell-std-1', 'cell-std-2', 'cell-std-3']);
  });

  it('never downgrades an explicit tier: 503 no_cell_available, then served once a cell is active', async () => {
    const denied = await checkJson(a.url, await tokenFor('tenant-prem', 'shared-prem'));
    expect([denied.status, denied.reason]).toEqual([503, 'no_cell_available']);
    expect(denied.set).toEqual({});

    plane.cells = plane.cells.map((entry) =>
      entry.id === 'cell-prem-1' ? { ...entry, state: 'active' } : entry,
    );
    await waitFor(async () => (await cellOf(a, 'tenant-prem', 'shared-prem')) === 'cell-prem-1', {
      what: 'the premium cell in service',
    });
  });

  it('keeps routing on the last-known-good cells while the control plane is down, and says so', async () => {
    const before = await cellOf(a, 'tenant-outage');
    const polls = plane.polls;
    plane.down = true;
    await waitFor(async () => (await a.http().get('/readyz')).body.registry_stale === true, {
      what: 'registry_stale',
    });
    expect(plane.polls).toBeGreaterThan(polls);
    const during = await a.http().get('/readyz');
    // Stale is a warning, not an outage: the instance stays ready and keeps its cells.
    expect([during.status, during.body.cells]).toEqual([200, 4]);
    expect(await cellOf(a, 'tenant-outage')).toBe(before);
    expect(
      sample(await a.metrics(), 'alphaswarm_tenant_router_registry_polls_total', { outcome: 'error' }),
    ).toBeGreaterThan(0);

    // Back, with one cell gone: the edge follows, and the tenants of the removed cell move.
    plane.cells = plane.cells.filter((entry) => entry.id !== before);
    plane.down = false;
    await waitFor(async () => (await a.http().get('/readyz')).body.registry_stale === false, {
      what: 'a fresh registry',
    });
    const after = await waitFor(
      async () => {
        const placed = await cellOf(a, 'tenant-outage');
        return placed !== before ? placed : undefined;
      },
      { what: 'the tenant moved off the removed cell' },
    );
    expect(after).toMatch(/^cell-std-/);
  });

  it('refuses garbage from the control plane and keeps the last good list', async () => {
    const cellsBefore = (await a.http().get('/readyz')).body.cells as number;
    const good = plane.cells;
    plane.cells = 'not a list' as unknown as CellEntry[];
    const polls = plane.polls;
    await waitFor(() => plane.polls > polls + 1, { what: 'two polls of garbage' });
    expect((await a.http().get('/readyz')).body.cells).toBe(cellsBefore);
    plane.cells = good;
  });
});
