/**
 * Registry calls through the real gateway with real tokens, and fixtures built only through the
 * public API (never by writing the store), so every fixture is itself a trip through the
 * gateway, the registry subgraph, the state machine and the store.
 */
import { abnFromNumber } from '../../../core/ids.js';
import { REQUIREMENTS } from '../../../registry/model.js';
import type { GraphQLResult, TestSystem } from '../../helpers/system.js';
import { registryDocument, type RegistryField } from './registry-documents.js';

const DAY_MS = 86_400_000;

/** The demo tax practitioner (DESIGN.md §9): may act for C-000001 … C-000050. */
export const PRACTITIONER_ORG = '12345679016';

// Far from the demo register's ABNs (tails 824753556, 004085616); distinct n give distinct ABNs.
let abnCounter = 900_000_000;
/** A valid ABN no developer holds yet. */
export function freshAbn(): string {
  return abnFromNumber(++abnCounter);
}

/** The same ABN with its last digit changed: any single-digit change breaks the mod-89 check. */
export function withBadCheckDigit(abn: string): string {
  const last = Number(abn.at(-1));
  return `${abn.slice(0, -1)}${(last + 1) % 10}`;
}

/** Assessments of all 11 requirements, MET unless overridden. */
export function assessments(overrides: Partial<Record<(typeof REQUIREMENTS)[number], 'MET' | 'COMPENSATING_CONTROL' | 'NOT_MET'>> = {}) {
  return REQUIREMENTS.map((requirement) => {
    const outcome = overrides[requirement] ?? 'MET';
    return {
      requirement,
      outcome,
      evidence: `Evidence for ${requirement.toLowerCase()}`,
      ...(outcome === 'COMPENSATING_CONTROL' ? { compensatingControl: 'An equivalent control the assessor accepted' } : {}),
    };
  });
}

export function developerApplication(overrides: Record<string, unknown> = {}) {
  return {
    abn: freshAbn(),
    legalName: 'Integration Ledger Pty Ltd',
    contact: { name: 'Sam Lee', email: 'sam@integration-ledger.example', phone: '+61 2 5550 0000' },
    roles: ['DEVELOPER', 'CLOUD_PROVIDER'],
    declarationsAccepted: true,
    taxObligationsCurrent: true,
    ...overrides,
  };
}

export function productApplication(developerId: string, overrides: Record<string, unknown> = {}) {
  return { developerId, name: 'Integration Ledger Cloud', deploymentModel: 'CLOUD', dataHosting: ['AU'], minimumVersion: '2.0.0', ...overrides };
}

/** A certification valid from now for a year. */
export function validity(now = Date.now()) {
  return { validFrom: new Date(now).toISOString(), validUntil: new Date(now + 365 * DAY_MS).toISOString() };
}

export type ProductState = 'REGISTERED' | 'SELF_CERTIFIED' | 'CERTIFIED' | 'CERTIFICATION_REJECTED' | 'SUSPENDED' | 'REVOKED';
export type DeveloperState = 'PENDING' | 'REJECTED' | 'ACTIVE' | 'SUSPENDED' | 'DEREGISTERED';

export interface RegistryClient {
  sys: TestSystem;
  /** ato:admin with MFA, sub `admin-ann`. */
  admin: string;
  /** ato:admin without MFA. */
  adminNoMfa: string;
  /** ato:auditor with MFA, sub `auditor-al`. */
  auditor: string;
  /** dsp:developer with MFA and no developer_id yet (someone applying to register). */
  applicant: string;
  /** dsp:developer staff of `developerId`, with MFA unless `mfa: false`. */
  developerStaff(developerId: string, options?: { sub?: string; mfa?: boolean }): Promise<string>;
  /** Runs one registry field through the gateway. */
  call(token: string, field: RegistryField, variables?: Record<string, unknown>): Promise<GraphQLResult>;
  /** Runs one registry field and returns its value; throws with the whole response on any error. */
  ok(token: string, field: RegistryField, variables?: Record<string, unknown>): Promise<any>;
  /** A new developer application (PENDING when eligible), by the applicant unless `token` is given. */
  registerDeveloper(overrides?: Record<string, unknown>, token?: string): Promise<any>;
  /** A developer in `state`, made through the API. */
  developerIn(state: DeveloperState): Promise<any>;
  /** A product of `developerId` in `state`, made through the API (certified for `services`). */
  productIn(state: ProductState, developerId: string, services?: string[]): Promise<any>;
}

export async function createRegistryClient(sys: TestSystem): Promise<RegistryClient> {
  const [admin, adminNoMfa, auditor, applicant] = await Promise.all([
    sys.token({ roles: ['ato:admin'], mfa: true, sub: 'admin-ann' }),
    sys.token({ roles: ['ato:admin'], mfa: false, sub: 'admin-ann' }),
    sys.token({ roles: ['ato:auditor'], mfa: true, sub: 'auditor-al' }),
    sys.token({ roles: ['dsp:developer'], mfa: true, sub: 'applicant-sam' }),
  ]);

  const call = (token: string, field: RegistryField, variables: Record<string, unknown> = {}) =>
    sys.gql(registryDocument(field, variables), { token, variables });

  async function ok(token: string, field: RegistryField, variables: Record<string, unknown> = {}): Promise<any> {
    const r = await call(token, field, variables);
    if (r.body.errors?.length || !r.body.data) throw new Error(`${field} failed (${r.status}): ${JSON.stringify(r.body)}`);
    return r.body.data[field];
  }

  const client: RegistryClient = {
    sys,
    admin,
    adminNoMfa,
    auditor,
    applicant,
    developerStaff: (developerId, options = {}) => sys.token({ roles: ['dsp:developer'], developer: developerId, mfa: options.mfa ?? true, sub: options.sub ?? `staff-of-${developerId}` }),
    call,
    ok,

    registerDeveloper: (overrides = {}, token = applicant) => ok(token, 'registerDeveloper', { input: developerApplication(overrides) }),

    async developerIn(state) {
      if (state === 'REJECTED') return client.registerDeveloper({ declarationsAccepted: false });
      const pending = await client.registerDeveloper();
      if (state === 'PENDING') return pending;
      const active = await ok(admin, 'approveDeveloper', { developerId: pending.id, expectedRevision: pending.revision, reason: 'Fixture: eligibility confirmed' });
      if (state === 'ACTIVE') return active;
      const suspended = await ok(admin, 'suspendDeveloper', { developerId: active.id, expectedRevision: active.revision, reason: 'Fixture: obligations overdue' });
      if (state === 'SUSPENDED') return suspended;
      return ok(admin, 'deregisterDeveloper', { developerId: suspended.id, expectedRevision: suspended.revision, reason: 'Fixture: left the register' });
    },

    async productIn(state, developerId, services = ['clients.read']) {
      const registered = await ok(admin, 'registerProduct', { input: productApplication(developerId) });
      if (state === 'REGISTERED') return registered;
      if (state === 'REVOKED') return ok(admin, 'revokeProduct', { productId: registered.id, expectedRevision: registered.revision, reason: 'Fixture: revoked' });
      const selfCertified = await ok(admin, 'submitSelfCertification', {
        productId: registered.id,
        expectedRevision: registered.revision,
        assessments: assessments(),
        reason: 'Fixture: self-assessed',
      });
      if (state === 'SELF_CERTIFIED') return selfCertified;
      if (state === 'CERTIFICATION_REJECTED') {
        return ok(admin, 'rejectCertification', { productId: selfCertified.id, expectedRevision: selfCertified.revision, reason: 'Fixture: evidence insufficient' });
      }
      const certified = await ok(admin, 'certifyProduct', {
        productId: selfCertified.id,
        expectedRevision: selfCertified.revision,
        tier: 'STANDARD',
        ...validity(),
        services,
        reason: 'Fixture: certified',
      });
      if (state === 'CERTIFIED') return certified;
      return ok(admin, 'suspendProduct', { productId: certified.id, expectedRevision: certified.revision, reason: 'Fixture: suspended' });
    },
  };
  return client;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
