/**
 * Review s19c F5: a subgraph outage answers every product's requests 502 (DENIED); the denial-burst
 * detector counted them on each product's own key, so with PROTECTIVE_SUSPENSION=on five seconds of
 * outage suspended every product sending 20 requests a second: the gateway's failure, not theirs.
 */
import { startTestSystem, type TestSystem } from '../helpers/system.js';

describe('review s19c: an outage is not the product\'s doing', () => {
  let sys: TestSystem;
  const clock = { now: Date.now() };
  beforeAll(async () => {
    sys = await startTestSystem({ monitoring: { protectiveSuspension: 'on' } }, { now: () => clock.now });
  });
  afterAll(async () => {
    // The clients subgraph is closed already; close() closes it again.
    await sys.close().catch(() => undefined);
  });

  it('a busy product is not suspended because the clients subgraph is down', async () => {
    const token = await sys.token({ product: 'PRD-CERTIFIED' });
    expect((await sys.gql('query { client(clientId: "C-000001") { id } }', { token })).status).toBe(200);
    await sys.subgraphs.clients.close();
    const statuses: number[] = [];
    for (let i = 0; i < 110; i++) {
      statuses.push((await sys.gql('query { client(clientId: "C-000001") { id } }', { token })).status);
      clock.now += 50;
    }
    await sys.gateway.monitor.flush();
    const product = await sys.store.productById('PRD-CERTIFIED');
    expect([...new Set(statuses)]).not.toContain(200);
    expect(product!.suspension).toBeNull();
    expect(sys.gateway.monitor.openAlerts().filter((a) => a.productId === 'PRD-CERTIFIED' && a.risk === 'HIGH').map((a) => `${a.detector} ${a.key}`)).toEqual([]);
  }, 60_000);
});
