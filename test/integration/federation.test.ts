/** Issue 2: the federated graph through the real gateway, subgraphs and store on loopback. */
import { syntheticData } from '../../subgraphs/shared/synthetic.js';
import { maskTfn } from '../../core/ids.js';
import { codesOf, startTestSystem, type TestSystem } from '../helpers/system.js';

const THREE_SUBGRAPHS = `query ThreeSubgraphs($id: ID!) {
  client(clientId: $id) { id name tfnMasked lodgments(first: 3) { period formType status } account { balance } }
}`;

describe('federated ATO data graph', () => {
  let sys: TestSystem;
  beforeAll(async () => {
    sys = await startTestSystem();
  });
  afterAll(async () => {
    await sys.close();
  });

  it('answers a three-subgraph query with the synthetic data', async () => {
    const r = await sys.gql(THREE_SUBGRAPHS, { variables: { id: 'C-000001' } });
    expect(r.status).toBe(200);
    expect(r.body.errors).toBeUndefined();
    const data = syntheticData();
    const expected = data.clientById.get('C-000001')!;
    const client = r.body.data!.client;
    expect(client.id).toBe('C-000001');
    expect(client.name).toBe(expected.name);
    expect(client.tfnMasked).toBe(maskTfn(expected.tfn));
    expect(client.lodgments).toEqual(data.lodgmentsByClient.get('C-000001')!.slice(0, 3).map((l) => ({ period: l.period, formType: l.formType, status: l.status })));
    expect(client.account.balance).toBe(data.accountByClient.get('C-000001')!.balance);
  });

  it('never returns a full TFN', async () => {
    const r = await sys.gql(THREE_SUBGRAPHS, { variables: { id: 'C-000002' } });
    const tfn = syntheticData().clientById.get('C-000002')!.tfn;
    expect(JSON.stringify(r.body)).not.toContain(tfn);
  });

  describe('malformed requests get a coded error, never a crash', () => {
    it('bad JSON', async () => {
      const r = await sys.post('{"query": ', { authorization: `Bearer ${await sys.token()}` });
      expect([r.status, codesOf(r)]).toEqual([400, ['BAD_REQUEST']]);
    });
    it('missing query', async () => {
      const r = await sys.post('{"variables": {}}', { authorization: `Bearer ${await sys.token()}` });
      expect(r.status).toBe(400);
      expect(codesOf(r)).toEqual(['BAD_REQUEST']);
    });
    it('unknown field', async () => {
      const r = await sys.gql('{ client(clientId: "C-000001") { id nickname } }');
      expect(r.status).toBe(400);
      expect(codesOf(r)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    });
    it('wrong variable type', async () => {
      const r = await sys.gql('query ($id: ID!) { client(clientId: $id) { id } }', { variables: { id: { not: 'an id' } } });
      expect(r.status).toBe(400);
      expect(codesOf(r)).toEqual(['BAD_USER_INPUT']);
    });
    it('syntax error', async () => {
      const r = await sys.gql('{ client(clientId: "C-000001") { id ');
      expect(r.status).toBe(400);
      expect(codesOf(r)).toEqual(['GRAPHQL_PARSE_FAILED']);
    });
    it('a body that is JSON but not an object', async () => {
      const r = await sys.post('"just a string"', { authorization: `Bearer ${await sys.token()}` });
      expect([r.status, codesOf(r)]).toEqual([400, ['BAD_REQUEST']]);
    });
    it('the gateway still serves after all of them', async () => {
      const r = await sys.gql(THREE_SUBGRAPHS, { variables: { id: 'C-000001' } });
      expect(r.status).toBe(200);
      expect(r.body.data!.client.id).toBe('C-000001');
    });
  });

  it('reports alive on /healthz and ready on /readyz', async () => {
    const base = sys.gateway.url.replace('/graphql', '');
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as { ready: boolean }).ready).toBe(true);
  });

  it('serves the rest of the answer when a subgraph is down, with a coded error for its fields', async () => {
    await sys.subgraphs.accounts.close();
    const r = await sys.gql(THREE_SUBGRAPHS, { variables: { id: 'C-000001' } });
    expect(r.status).toBe(200);
    expect(r.body.data!.client.name).toBe(syntheticData().clientById.get('C-000001')!.name);
    expect(r.body.data!.client.lodgments.length).toBeGreaterThan(0);
    expect(r.body.data!.client.account).toBeNull();
    expect(codesOf(r)).toContain('SUBGRAPH_UNAVAILABLE');
    const base = sys.gateway.url.replace('/graphql', '');
    // Readiness caches subgraph probes briefly; it must turn within a few seconds.
    let status = 0;
    for (let i = 0; i < 40 && status !== 503; i++) {
      status = (await fetch(`${base}/readyz`)).status;
      if (status !== 503) await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe(503);
  });
});
