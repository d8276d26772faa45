/**
 * Review s19b F3: a registry mutation's reason and ticket reach its access record (`changes`) only
 * when the mutation is a field written directly in the operation's root selection set. Wrapped in
 * an inline fragment or a named fragment on Mutation (same execution, same register change), the
 * record carries no `changes` at all.
 */
import { parse, type DocumentNode, type OperationDefinitionNode } from 'graphql';
import { changeNotesOf } from '../../gateway/apollo/change-notes.js';
import { startTestSystem, type TestSystem } from '../helpers/system.js';

const opOf = (doc: DocumentNode) => doc.definitions.find((d): d is OperationDefinitionNode => d.kind === 'OperationDefinition')!;
const notes = (q: string, variables: Record<string, unknown> = {}) => {
  const doc = parse(q);
  return changeNotesOf(opOf(doc), variables, doc);
};
const SUSPEND = 'suspendProduct(productId: "P", expectedRevision: 1, reason: "Fraud seen", ticket: "INC-9") { id }';
const NOTE = { coordinate: 'Mutation.suspendProduct', reason: 'Fraud seen', ticket: 'INC-9' };

describe('change notes through fragments (unit)', () => {
  it('reads a mutation inside an inline fragment, a named fragment and nested fragments', () => {
    expect(notes(`mutation { ${SUSPEND} }`)).toEqual([NOTE]);
    expect(notes(`mutation { ... on Mutation { ${SUSPEND} } }`)).toEqual([NOTE]);
    expect(notes(`mutation { ... { ${SUSPEND} } }`)).toEqual([NOTE]);
    expect(notes(`mutation { ...M } fragment M on Mutation { ${SUSPEND} }`)).toEqual([NOTE]);
    expect(notes(`mutation { ...A } fragment A on Mutation { ... @include(if: true) { ...B } } fragment B on Mutation { s: ${SUSPEND} }`)).toEqual([NOTE]);
    expect(notes(`mutation ($r: String!) { ...M } fragment M on Mutation { revokeProduct(productId: "P", expectedRevision: 1, reason: $r) { id } }`, { r: 'TFN 123456782' })).toEqual([
      { coordinate: 'Mutation.revokeProduct', reason: 'TFN [number]', ticket: null },
    ]);
  });

  it('reads a fragment spread twice once, and keeps the document order', () => {
    expect(notes(`mutation { ...M ...M } fragment M on Mutation { ${SUSPEND} }`)).toEqual([NOTE]);
    expect(notes(`mutation { a: revokeProduct(productId: "P", expectedRevision: 1, reason: "one") { id } ... on Mutation { ${SUSPEND} } }`).map((n) => n.reason)).toEqual(['one', 'Fraud seen']);
  });
});

describe('change notes through fragments (real gateway)', () => {
  let sys: TestSystem;
  beforeAll(async () => {
    sys = await startTestSystem();
  });
  afterAll(async () => {
    await sys.close();
  });

  it("an admin's mutation in a fragment still leaves its reason and ticket in the access record", async () => {
    const admin = await sys.token({ roles: ['ato:admin'], mfa: true, sub: 'admin-s19b' });
    const r = await sys.gql(`mutation Hidden { ... on Mutation { ${SUSPEND.replace('"P"', '"PRD-DOES-NOT-EXIST"')} } }`, { token: admin });
    const requestId = r.headers.get('x-request-id')!;
    const record = (await sys.store.queryAccessLogs({}, { first: 50 })).records.find((x) => x.requestId === requestId)!;
    expect(record.operationName).toBe('Hidden');
    expect(record.changes).toEqual([NOTE]);
  });
});
