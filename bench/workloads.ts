/** The three workloads, as request bodies autocannon cycles through (several authorised client ids). */

export type WorkloadName = 'one' | 'three' | 'many';

/** Clients C-000001…C-000050 are authorised for the demo practitioner; C-000003 is restricted (withheld from STANDARD products), so it is left out to keep bare and enforced answers identical. */
export const CLIENT_IDS = [1, 2, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13].map((n) => `C-${String(n).padStart(6, '0')}`);

export interface Workload {
  name: WorkloadName;
  title: string;
  query: string;
  operationName: string;
  /** One body per client id (or id rotation); each connection cycles through them. */
  bodies: string[];
}

const ONE = `query OneSubgraph($id: ID!) { client(clientId: $id) { id name tfnMasked } }`;
const THREE = `query ThreeSubgraphs($id: ID!) { client(clientId: $id) { id name tfnMasked lodgments(first: 3) { period formType status } account { balance } } }`;

/** Aliased root fields each with lodgments and account: one clients fetch, then one entity fetch per alias per subgraph. Stays under OP_MAX_ROOT_FIELDS (10) and OP_MAX_ALIASES (30). */
export const MANY_ALIASES = 8;
const MANY = `query ManyFetches(${Array.from({ length: MANY_ALIASES }, (_, i) => `$id${i}: ID!`).join(', ')}) {${Array.from(
  { length: MANY_ALIASES },
  (_, i) => ` c${i}: client(clientId: $id${i}) { id name lodgments(first: 3) { period status } account { balance } }`,
).join('')} }`;

const body = (query: string, operationName: string, variables: Record<string, string>) => JSON.stringify({ query, operationName, variables });

export function workloads(): Record<WorkloadName, Workload> {
  return {
    one: {
      name: 'one',
      title: 'one subgraph: client { id name tfnMasked }',
      query: ONE,
      operationName: 'OneSubgraph',
      bodies: CLIENT_IDS.map((id) => body(ONE, 'OneSubgraph', { id })),
    },
    three: {
      name: 'three',
      title: 'three subgraphs: client + lodgments(first: 3) + account.balance',
      query: THREE,
      operationName: 'ThreeSubgraphs',
      bodies: CLIENT_IDS.map((id) => body(THREE, 'ThreeSubgraphs', { id })),
    },
    many: {
      name: 'many',
      title: `many fetches: ${MANY_ALIASES} aliased clients, each with lodgments and account (${1 + 2 * MANY_ALIASES} subgraph fetches)`,
      query: MANY,
      operationName: 'ManyFetches',
      bodies: CLIENT_IDS.map((_, k) => body(MANY, 'ManyFetches', Object.fromEntries(Array.from({ length: MANY_ALIASES }, (_, i) => [`id${i}`, CLIENT_IDS[(k + i) % CLIENT_IDS.length]!])))),
    },
  };
}
