/**
 * Review s19c F1: a thief holding a DPoP-bound product token but not the product's key cannot
 * be served (README: "A stolen token is not enough for a bound product"), yet every refused
 * request was recorded under the victim product's id and counted by the detectors on the
 * product's own keys (`product:<id>`), which is what protective suspension acts on. A handful of
 * refused requests naming many clients (or 100 refused requests) raised a HIGH alert on the
 * victim and, with PROTECTIVE_SUSPENSION=on, suspended it: every legitimate user of the product
 * locked out by someone the gateway never served.
 */
import { startTestSystem, type TestSystem } from '../helpers/system.js';

const clientId = (n: number) => `C-${String(n).padStart(6, '0')}`;
/** Ten root fields (the default maxRootFields), ten distinct clients. */
const tenClients = (from: number) => `query { ${Array.from({ length: 10 }, (_, i) => `c${i}: client(clientId: "${clientId(from + i)}") { id }`).join(' ')} }`;

describe('review s19c: refused DPoP requests of a thief are pinned on the bound product', () => {
  let sys: TestSystem;
  const clock = { now: Date.now() };
  beforeAll(async () => {
    // Default anonymous quota (20/s per source), protective suspension on.
    sys = await startTestSystem({ rateLimits: { anonymous: { points: 20, duration: 1 } }, monitoring: { protectiveSuspension: 'on' } }, { now: () => clock.now });
  });
  afterAll(async () => {
    await sys.close();
  });

  it('a thief without the key cannot get PRD-ENHANCED suspended or accused of enumeration', async () => {
    const stolen = await sys.boundToken({ product: 'PRD-ENHANCED' });
    // No proof at all: refused 401 UNAUTHENTICATED (dpop proof_missing), nothing served.
    for (let i = 0; i < 10; i++) {
      const r = await sys.post(JSON.stringify({ query: tenClients(1 + i * 10) }), { authorization: `DPoP ${stolen}` });
      expect(r.status).toBe(401);
      clock.now += 600; // 6 s in all: within the anonymous quota and every window
    }
    await sys.gateway.monitor.flush();
    const product = await sys.store.productById('PRD-ENHANCED');
    expect(product!.suspension).toBeNull();
    expect(sys.gateway.monitor.stats().suspensionsRequested).toBe(0);
    const onVictim = sys.gateway.monitor.openAlerts().filter((a) => a.productId === 'PRD-ENHANCED');
    // The product did nothing: no alert may name it, let alone a HIGH one.
    expect(onVictim.map((a) => `${a.detector} ${a.key} ${a.risk}`)).toEqual([]);
    expect((await sys.store.listIncidents({})).filter((i) => i.productIds.includes('PRD-ENHANCED'))).toEqual([]);
    // The thief is still seen: the refused requests count on their source address.
    expect(sys.gateway.monitor.openAlerts().some((a) => a.key.startsWith('ip:') && a.productId === null)).toBe(true);
  });
});
