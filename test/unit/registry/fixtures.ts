/** Records in every lifecycle state, for the registry domain tests. */
import { abnFromNumber } from '../../../core/ids.js';
import type { Denial } from '../../../core/errors.js';
import type { Outcome } from '../../../registry/change-note.js';
import { REQUIREMENTS, type Developer, type DeveloperStatus, type Product, type ProductStatus, type Requirement, type RequirementAssessment, type RequirementOutcome } from '../../../registry/model.js';

export const NOW = Date.parse('2025-03-01T00:00:00.000Z');
export const DAY = 86_400_000;
export const ADMIN = 'admin-1 (ato:admin)';
export const REQUEST = { reason: 'Routine review', ticket: 'INC-1' };
export const VALID_ABN = abnFromNumber(123_456);

export function developerIn(status: DeveloperStatus, overrides: Partial<Developer> = {}): Developer {
  return {
    id: 'DEV-TEST',
    abn: VALID_ABN,
    legalName: 'Test Software Pty Ltd',
    contact: { name: 'Jo Citizen', email: 'jo@example.com', phone: null },
    roles: ['DEVELOPER'],
    status,
    statusReason: null,
    eligibility: { abnValid: true, declarationsAccepted: true, taxObligationsCurrent: true, abnUnique: true, reasons: [] },
    reviewDueAt: new Date(NOW + 200 * DAY).toISOString(),
    registeredAt: new Date(NOW - 100 * DAY).toISOString(),
    revision: 7,
    ...overrides,
  };
}

/** All 11 requirements MET, except those named. */
export function assessments(outcomes: Partial<Record<Requirement, RequirementOutcome>> = {}): RequirementAssessment[] {
  return REQUIREMENTS.map((requirement) => {
    const outcome = outcomes[requirement] ?? 'MET';
    return { requirement, outcome, evidence: `Evidence for ${requirement}`, compensatingControl: outcome === 'COMPENSATING_CONTROL' ? 'Alternative control' : null };
  });
}

export function productIn(status: ProductStatus, overrides: Partial<Product> = {}): Product {
  const selfCertified = status !== 'REGISTERED';
  const certified = status === 'CERTIFIED' || status === 'SUSPENDED' || status === 'REVOKED';
  return {
    id: 'PRD-TEST',
    developerId: 'DEV-TEST',
    name: 'Ledger Pro',
    deploymentModel: 'CLOUD',
    dataHosting: ['AU'],
    minimumVersion: '2.0.0',
    status,
    statusReason: null,
    selfCertification: selfCertified ? { submittedAt: new Date(NOW - 20 * DAY).toISOString(), submittedBy: 'dev-1 (dsp:developer)', assessments: assessments() } : null,
    certification: certified
      ? { tier: 'STANDARD', validFrom: new Date(NOW - 10 * DAY).toISOString(), validUntil: new Date(NOW + 355 * DAY).toISOString(), certifiedAt: new Date(NOW - 10 * DAY).toISOString(), certifiedBy: ADMIN }
      : null,
    services: certified && status !== 'REVOKED' ? ['clients.read', 'lodgments.read'] : [],
    suspension: status === 'SUSPENDED' ? { reason: 'Investigation', since: new Date(NOW - DAY).toISOString(), until: null, actor: ADMIN, resumeStatus: 'CERTIFIED' } : null,
    rateTier: 'standard',
    registeredAt: new Date(NOW - 30 * DAY).toISOString(),
    revision: 11,
    ...overrides,
  };
}

/** The denial of an outcome, failing the test when the command succeeded. */
export function denied<T>(outcome: Outcome<T>): Denial {
  if ('next' in outcome) throw new Error(`expected a denial, got next state ${JSON.stringify((outcome.next as { status?: string }).status ?? outcome.next)}`);
  return outcome;
}

/** The next state of an outcome, failing the test when the command was denied. */
export function accepted<T>(outcome: Outcome<T>): { next: T; note: Exclude<Outcome<T>, Denial>['note'] } {
  if (!('next' in outcome)) throw new Error(`expected success, got ${outcome.code}: ${outcome.message} ${JSON.stringify(outcome.details ?? {})}`);
  return outcome;
}
