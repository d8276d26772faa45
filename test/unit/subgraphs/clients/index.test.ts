import { isValidTfn } from '../../../../core/ids.js';
import { clientsSubgraph } from '../../../../subgraphs/clients/index.js';
import { syntheticData } from '../../../../subgraphs/shared/synthetic.js';
import { ENTITIES, identity, refs, startSubgraph, type SubgraphRunner } from '../execute-subgraph.js';

const CLIENT = `query($id: ID!) { client(clientId: $id) { id name type abn tfnMasked restricted address { line1 suburb state postcode } specialInterest { category caseOfficer } } }`;

describe('clients subgraph', () => {
  let subgraph: SubgraphRunner;
  beforeAll(async () => {
    subgraph = await startSubgraph(clientsSubgraph({ now: () => Date.parse('2026-11-22T01:02:03Z') }));
  });
  afterAll(() => subgraph.stop());

  it('serves a client with its masked TFN and never the full one', async () => {
    const { data, errors } = await subgraph.run(CLIENT, { id: 'C-000001' });
    const tfn = syntheticData().clientById.get('C-000001')!.tfn;
    expect(errors).toBeUndefined();
    expect(data!.client).toMatchObject({ id: 'C-000001', restricted: false, specialInterest: null });
    expect(data!.client.tfnMasked).toBe(`*** *** ${tfn.slice(6)}`);
    expect(isValidTfn(tfn)).toBe(true);
    expect(JSON.stringify(data)).not.toContain(tfn);
  });

  it('serves the demo company C-000100 with its ABN', async () => {
    const { data } = await subgraph.run(CLIENT, { id: 'C-000100' });
    expect(data!.client).toMatchObject({ type: 'COMPANY', abn: '98765432122' });
  });

  it('withholds a restricted client from a STANDARD product with RESTRICTED_DATA', async () => {
    const { data, errors } = await subgraph.run(CLIENT, { id: 'C-000003' }, identity('STANDARD'));
    expect(data!.client).toBeNull();
    expect(errors?.map((e) => e.extensions?.code)).toEqual(['RESTRICTED_DATA']);
    expect(errors?.[0]!.path).toEqual(['client']);
  });

  it('withholds a restricted client from a caller with no tier (staff)', async () => {
    const { data, errors } = await subgraph.run(CLIENT, { id: 'C-000003' }, identity(null));
    expect(data!.client).toBeNull();
    expect(errors?.[0]!.extensions?.code).toBe('RESTRICTED_DATA');
  });

  it('serves a restricted client with its special interest details to an ENHANCED product', async () => {
    const { data, errors } = await subgraph.run(CLIENT, { id: 'C-000003' }, identity('ENHANCED'));
    expect(errors).toBeUndefined();
    expect(data!.client).toMatchObject({ id: 'C-000003', restricted: true });
    expect(data!.client.specialInterest.category).toEqual(expect.any(String));
  });

  it('answers null without an error for an unknown client', async () => {
    const { data, errors } = await subgraph.run(CLIENT, { id: 'C-999999' });
    expect(data!.client).toBeNull();
    expect(errors).toBeUndefined();
  });

  it('refuses a malformed client id with BAD_USER_INPUT', async () => {
    const { data, errors } = await subgraph.run(CLIENT, { id: '1 OR 1=1' });
    expect(data!.client).toBeNull();
    expect(errors?.[0]!.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('resolves entity references, null for restricted ones unless ENHANCED', async () => {
    const standard = await subgraph.run(ENTITIES('id name'), refs('C-000001', 'C-000003', 'C-999999'), identity('STANDARD'));
    expect(standard.data!._entities).toEqual([{ id: 'C-000001', name: expect.any(String) }, null, null]);
    const enhanced = await subgraph.run(ENTITIES('id'), refs('C-000003'), identity('ENHANCED'));
    expect(enhanced.data!._entities).toEqual([{ id: 'C-000003' }]);
  });

  it('reports its service status', async () => {
    const { data } = await subgraph.run('{ serviceStatus { name version time } }');
    expect(data!.serviceStatus).toEqual({ name: 'clients', version: expect.stringMatching(/^\d+\.\d+\.\d+/), time: '2026-11-22T01:02:03.000Z' });
  });
});
