/** Registry actions through the gateway with real staff tokens, for scenario tests. */
import { REQUIREMENTS, type Requirement } from '../../registry/model.js';
import { abnFromNumber } from '../../core/ids.js';
import { codesOf, type GraphQLResult, type TestSystem } from './system.js';

const day = 86_400_000;

export interface RegistryApi {
  admin(query: string, variables?: Record<string, unknown>): Promise<GraphQLResult>;
  developerStaff(developerId: string, query: string, variables?: Record<string, unknown>): Promise<GraphQLResult>;
  /** Registers and approves a developer; returns its id. */
  newApprovedDeveloper(n: number): Promise<string>;
  /** Registers a product under the developer and self-certifies it; NOT_MET for the listed requirements. */
  newSelfCertifiedProduct(developerId: string, options?: { notMet?: Requirement[]; minimumVersion?: string }): Promise<string>;
  /** Certifies (approving the pending manifest version `manifestVersion` when given). */
  certify(productId: string, tier: 'STANDARD' | 'ENHANCED', services: string[], options?: { manifestVersion?: number }): Promise<GraphQLResult>;
  revisionOf(entity: 'product' | 'developer', id: string): Promise<number>;
  /** Waits until the gateway's registry snapshot has caught up with the store (≤ one poll interval). */
  synced(): Promise<void>;
}

/** Throws with the error codes when a mutation fails, so setup mistakes are obvious. */
export function ok(r: GraphQLResult): Record<string, any> {
  if (r.body.errors?.length || !r.body.data) throw new Error(`unexpected errors ${JSON.stringify(codesOf(r))}: ${JSON.stringify(r.body.errors)}`);
  return r.body.data;
}

export function registryApi(sys: TestSystem): RegistryApi {
  const admin = async (query: string, variables?: Record<string, unknown>) => sys.gql(query, { token: await sys.token({ roles: ['ato:admin'], mfa: true, sub: 'admin-alice' }), ...(variables ? { variables } : {}) });
  const developerStaff = async (developerId: string, query: string, variables?: Record<string, unknown>) =>
    sys.gql(query, { token: await sys.token({ roles: ['dsp:developer'], developer: developerId, mfa: true, sub: `staff-${developerId}` }), ...(variables ? { variables } : {}) });
  const revisionOf = async (entity: 'product' | 'developer', id: string) => ok(await admin(`query ($id: ID!) { ${entity}(id: $id) { revision } }`, { id }))[entity].revision as number;

  const synced = async () => {
    const target = await sys.store.currentRevision();
    await within(2000, async () => sys.gateway.snapshot.revision() >= target);
  };

  return {
    admin,
    developerStaff,
    revisionOf,
    synced,
    async newApprovedDeveloper(n) {
      const registered = ok(
        await admin(
          `mutation ($input: RegisterDeveloperInput!) { registerDeveloper(input: $input) { id status revision } }`,
          { input: { abn: abnFromNumber(7_000_000 + n), legalName: `Scenario Developer ${n} Pty Ltd`, contact: { name: 'Dev', email: `dev${n}@example.com` }, roles: ['DEVELOPER'], declarationsAccepted: true, taxObligationsCurrent: true } },
        ),
      ).registerDeveloper;
      ok(await admin(`mutation ($id: ID!, $rev: Int!) { approveDeveloper(developerId: $id, expectedRevision: $rev, reason: "eligible") { status } }`, { id: registered.id, rev: registered.revision }));
      return registered.id as string;
    },
    async newSelfCertifiedProduct(developerId, options = {}) {
      const product = ok(
        await developerStaff(developerId, `mutation ($input: RegisterProductInput!) { registerProduct(input: $input) { id revision } }`, {
          input: { developerId, name: 'Scenario Ledger', deploymentModel: 'CLOUD', dataHosting: ['AU'], minimumVersion: options.minimumVersion ?? '1.0.0' },
        }),
      ).registerProduct;
      const notMet = new Set(options.notMet ?? []);
      const assessments = REQUIREMENTS.map((requirement) => ({ requirement, outcome: notMet.has(requirement) ? 'NOT_MET' : 'MET', evidence: `evidence for ${requirement}` }));
      ok(
        await developerStaff(developerId, `mutation ($id: ID!, $rev: Int!, $a: [RequirementAssessmentInput!]!) { submitSelfCertification(productId: $id, expectedRevision: $rev, assessments: $a, reason: "self-assessed") { status } }`, {
          id: product.id,
          rev: product.revision,
          a: assessments,
        }),
      );
      return product.id as string;
    },
    async certify(productId, tier, services, options = {}) {
      const now = Date.now();
      const result = await admin(
        `mutation ($id: ID!, $rev: Int!, $tier: CertificationTier!, $from: String!, $until: String!, $services: [String!]!, $manifest: Int) {
          certifyProduct(productId: $id, expectedRevision: $rev, tier: $tier, validFrom: $from, validUntil: $until, services: $services, manifestVersion: $manifest, reason: "assessed") { status services revision effectiveTrustedDocuments }
        }`,
        { id: productId, rev: await revisionOf('product', productId), tier, from: new Date(now - day).toISOString(), until: new Date(now + 365 * day).toISOString(), services, manifest: options.manifestVersion ?? null },
      );
      await synced();
      return result;
    },
  };
}

/** Polls until `check` returns true (or the time is up); returns the time it took, in ms. */
export async function within(ms: number, check: () => Promise<boolean>): Promise<number> {
  const start = Date.now();
  while (Date.now() - start <= ms) {
    if (await check()) return Date.now() - start;
    await new Promise((r) => setTimeout(r, 20));
  }
  return Number.POSITIVE_INFINITY;
}
