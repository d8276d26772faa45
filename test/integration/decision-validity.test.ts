/**
 * Through real HTTP, with the whole system on one injected clock: an org–client authorisation
 * granted by an admin to expire at T is honoured just before T and refused just after it, even
 * though the first request's field decision was cached (the decision carries its expiry).
 */
import { codesOf, startTestSystem, type TestSystem } from '../helpers/system.js';
import { ok, registryApi } from '../helpers/registry-api.js';

const PRACTITIONER = '12345679016';
const CLIENT = 'C-000077'; // not authorised for the practitioner in the demo register
const QUERY = `query ($id: ID!) { client(clientId: $id) { id name } }`;

describe('cached decisions expire with their facts (HTTP)', () => {
  const clock = { now: Date.now() };
  let sys: TestSystem;
  beforeAll(async () => {
    sys = await startTestSystem({}, { now: () => clock.now });
  });
  afterAll(async () => {
    await sys.close();
  });

  it('honours the authorisation at T−1 s and refuses it with CLIENT_NOT_AUTHORISED at T+1 s', async () => {
    const api = registryApi(sys);
    const T = clock.now + 60_000;
    ok(await api.admin(`mutation ($org: String!, $id: String!, $at: String) { grantClientAuthorisation(org: $org, clientId: $id, expiresAt: $at, reason: "Engagement letter on file") { expiresAt } }`, { org: PRACTITIONER, id: CLIENT, at: new Date(T).toISOString() }));
    await api.synced();

    const hitsBefore = sys.gateway.decisionCache.stats().decisionHits;
    const product = () => sys.token({ product: 'PRD-CERTIFIED', org: PRACTITIONER, now: clock.now });
    // Time passes as it would in production: the register is polled meanwhile (it would be
    // stale after a jump of more than REGISTRY_STALENESS_MS without a poll).
    const advanceTo = async (at: number) => {
      clock.now = at;
      await sys.gateway.snapshot.refresh();
    };

    await advanceTo(T - 30_000);
    const first = await sys.gql(QUERY, { token: await product(), variables: { id: CLIENT } });
    expect([first.status, first.body.data?.client?.id]).toEqual([200, CLIENT]);

    await advanceTo(T - 1_000);
    const cached = await sys.gql(QUERY, { token: await product(), variables: { id: CLIENT } });
    expect([cached.status, cached.body.data?.client?.id]).toEqual([200, CLIENT]);
    expect(sys.gateway.decisionCache.stats().decisionHits).toBe(hitsBefore + 1);

    await advanceTo(T + 1_000);
    const lapsed = await sys.gql(QUERY, { token: await product(), variables: { id: CLIENT } });
    expect(lapsed.status).toBe(403);
    expect(codesOf(lapsed)).toEqual(['CLIENT_NOT_AUTHORISED']);
    expect(lapsed.body.data ?? null).toBeNull();
  });
});
