/**
 * The identity a subgraph is told is the caller's own, never another's reused assertion. The
 * gateway reuses signed assertions per (audience, identity); two identities whose claims join to
 * the same text (a `|` inside `sub` and `developer_id`, claims the token rules allow) must still
 * be two keys. The registry subgraph scopes developer staff by the asserted developer_id, so the
 * second caller, whose developer_id is on no register entry, must see none of DEV-GOOD's products.
 */
import { startTestSystem, type TestSystem } from '../helpers/system.js';

let sys: TestSystem;

beforeAll(async () => {
  sys = await startTestSystem();
});
afterAll(async () => {
  await sys.close();
});

const PRODUCTS = '{ products { id developerId } }';

async function productsAs(sub: string, developer?: string): Promise<Array<{ id: string; developerId: string }>> {
  const token = await sys.token({ roles: ['dsp:developer'], mfa: true, sub, ...(developer !== undefined ? { developer } : {}) });
  const r = await sys.gql(PRODUCTS, { token });
  expect([r.status, r.body.errors]).toEqual([200, undefined]);
  return r.body.data!.products;
}

describe('assertion reuse is per identity', () => {
  it('does not hand one developer staff member another\'s assertion when their claims join to the same text', async () => {
    // "x|null" of DEV-GOOD, then "x" of "null|DEV-GOOD": both would be `x|null|null|null|null|DEV-GOOD` joined with '|'.
    const own = await productsAs('x|null', 'DEV-GOOD');
    expect(own.length).toBeGreaterThan(0);
    expect(new Set(own.map((p) => p.developerId))).toEqual(new Set(['DEV-GOOD']));
    // A developer id on no register entry: the subgraph must see that one, and so list nothing.
    expect(await productsAs('x', 'null|DEV-GOOD')).toEqual([]);
  });

});
