/** The registry subgraph on an in-memory SQLite store, called through Apollo Server with a given identity. */
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/index.js';
import type { AssertionClaims } from '../../../../core/assertion.js';
import { abnFromNumber } from '../../../../core/ids.js';
import { REQUIREMENTS } from '../../../../registry/model.js';
import { createStore } from '../../../../store/index.js';
import type { Store } from '../../../../store/port.js';
import { registrySubgraph } from '../../../../subgraphs/registry/index.js';
import type { SubgraphContext } from '../../../../subgraphs/shared/server.js';

export const T0 = Date.parse('2025-03-01T00:00:00.000Z');
export const DAY = 86_400_000;

export function staff(sub: string, roles: string[], options: { mfa?: boolean; developerId?: string | null } = {}): AssertionClaims {
  return { sub, org: null, softwareId: null, softwareVersion: null, developerId: options.developerId ?? null, tier: null, roles, mfa: options.mfa ?? true, requestId: null };
}

export const ADMIN = staff('admin-ann', ['ato:admin']);
export const ADMIN_NO_MFA = staff('admin-ann', ['ato:admin'], { mfa: false });
export const AUDITOR = staff('auditor-al', ['ato:auditor']);
export const NOBODY = staff('someone', []);
export const developerStaff = (developerId: string, sub = `staff-of-${developerId}`) => staff(sub, ['dsp:developer'], { developerId });

export interface GqlResult {
  data: Record<string, any> | null | undefined;
  errors: Array<{ message: string; path?: ReadonlyArray<string | number>; extensions?: Record<string, any> }> | undefined;
}

export interface Harness {
  store: Store;
  clock: { now: number };
  run(identity: AssertionClaims, query: string, variables?: Record<string, unknown>): Promise<GqlResult>;
  /** Runs and returns `data[field]`, failing on any error. */
  ok(identity: AssertionClaims, query: string, variables?: Record<string, unknown>): Promise<any>;
  close(): Promise<void>;
}

export async function createHarness(): Promise<Harness> {
  const store = await createStore('sqlite::memory:');
  const clock = { now: T0 };
  let seq = 0;
  const def = registrySubgraph({ store, now: () => clock.now, newDeveloperId: () => `DEV-T${++seq}`, newProductId: () => `PRD-T${++seq}` });
  const server = new ApolloServer<SubgraphContext>({ schema: buildSubgraphSchema({ typeDefs: def.typeDefs, resolvers: def.resolvers as GraphQLResolverMap<unknown> }), plugins: [ApolloServerPluginInlineTraceDisabled()] });
  await server.start();
  const run = async (identity: AssertionClaims, query: string, variables?: Record<string, unknown>): Promise<GqlResult> => {
    const response = await server.executeOperation({ query, ...(variables ? { variables } : {}) }, { contextValue: { identity, requestId: null } });
    if (response.body.kind !== 'single') throw new Error('incremental response');
    return { data: response.body.singleResult.data as GqlResult['data'], errors: response.body.singleResult.errors as GqlResult['errors'] };
  };
  return {
    store,
    clock,
    run,
    async ok(identity, query, variables) {
      const r = await run(identity, query, variables);
      if (r.errors?.length) throw new Error(`unexpected errors: ${JSON.stringify(r.errors)}`);
      return r.data;
    },
    async close() {
      await server.stop();
      await store.close();
    },
  };
}

/** The first error's code (undefined when there is none). */
export function codeOf(r: GqlResult): string | undefined {
  return r.errors?.[0]?.extensions?.['code'];
}

export const DEVELOPER_FIELDS = 'id status statusReason revision reviewDueAt eligibility { abnValid declarationsAccepted taxObligationsCurrent abnUnique reasons }';
export const PRODUCT_FIELDS = 'id developerId status effectiveStatus blockedBy services revision certification { tier validUntil expired } suspension { until resumeStatus }';

export const REGISTER_DEVELOPER = `mutation($input: RegisterDeveloperInput!) { registerDeveloper(input: $input) { ${DEVELOPER_FIELDS} } }`;
export const REGISTER_PRODUCT = `mutation($input: RegisterProductInput!) { registerProduct(input: $input) { ${PRODUCT_FIELDS} } }`;

export function developerMutation(name: string, extraArgs = ''): string {
  return `mutation($id: ID!, $rev: Int!, $reason: String!, $ticket: String) { ${name}(developerId: $id, expectedRevision: $rev, reason: $reason, ticket: $ticket${extraArgs}) { ${DEVELOPER_FIELDS} } }`;
}

export function productMutation(name: string, extraParams = '', extraArgs = ''): string {
  return `mutation($id: ID!, $rev: Int!, $reason: String!, $ticket: String${extraParams}) { ${name}(productId: $id, expectedRevision: $rev, reason: $reason, ticket: $ticket${extraArgs}) { ${PRODUCT_FIELDS} } }`;
}

export const SUBMIT_SELF_CERTIFICATION = productMutation('submitSelfCertification', ', $assessments: [RequirementAssessmentInput!]!', ', assessments: $assessments');
export const CERTIFY = productMutation(
  'certifyProduct',
  ', $tier: CertificationTier!, $validFrom: String!, $validUntil: String!, $services: [String!]!',
  ', tier: $tier, validFrom: $validFrom, validUntil: $validUntil, services: $services',
);

let abnSeed = 1000;
export function application(overrides: Record<string, unknown> = {}) {
  return {
    abn: abnFromNumber(++abnSeed),
    legalName: 'Acme Ledger Pty Ltd',
    contact: { name: 'Sam Lee', email: 'sam@acme.example' },
    roles: ['DEVELOPER'],
    declarationsAccepted: true,
    taxObligationsCurrent: true,
    ...overrides,
  };
}

export function allMet(overrides: Record<string, string> = {}) {
  return REQUIREMENTS.map((requirement) => {
    const outcome = overrides[requirement] ?? 'MET';
    return { requirement, outcome, evidence: `Evidence for ${requirement}`, ...(outcome === 'COMPENSATING_CONTROL' ? { compensatingControl: 'Alternative control' } : {}) };
  });
}

/** An approved (ACTIVE) developer; returns its id and revision. */
export async function activeDeveloper(h: Harness): Promise<{ id: string; revision: number }> {
  const registered = (await h.ok(ADMIN, REGISTER_DEVELOPER, { input: application() })).registerDeveloper;
  const approved = (await h.ok(ADMIN, developerMutation('approveDeveloper'), { id: registered.id, rev: registered.revision, reason: 'Checks passed' })).approveDeveloper;
  return { id: approved.id, revision: approved.revision };
}

/** A certified product of `developerId` with clients.read and lodgments.read. */
export async function certifiedProduct(h: Harness, developerId: string): Promise<{ id: string; revision: number }> {
  const registered = (await h.ok(ADMIN, REGISTER_PRODUCT, { input: { developerId, name: 'Ledger Pro', deploymentModel: 'CLOUD', dataHosting: ['AU'], minimumVersion: '2.0.0' } })).registerProduct;
  const submitted = (await h.ok(ADMIN, SUBMIT_SELF_CERTIFICATION, { id: registered.id, rev: registered.revision, reason: 'Self-assessed', assessments: allMet() })).submitSelfCertification;
  const certified = (
    await h.ok(ADMIN, CERTIFY, {
      id: submitted.id,
      rev: submitted.revision,
      reason: 'Assessed',
      tier: 'STANDARD',
      validFrom: new Date(h.clock.now).toISOString(),
      validUntil: new Date(h.clock.now + 365 * DAY).toISOString(),
      services: ['clients.read', 'lodgments.read'],
    })
  ).certifyProduct;
  return { id: certified.id, revision: certified.revision };
}
