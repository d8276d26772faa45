/**
 * The demo register of DESIGN.md §9 as plain data: a pure function of the current time (so
 * certification windows are relative to the day the store is seeded). store/seed.ts writes it
 * through the store port; `npm start` prints DEMO_PRODUCT_STATES.
 */
import { isDenial } from './change-note.js';
import { validateManifestDocuments } from './operation-manifest.js';
import { REQUIREMENTS, type OperationManifest, type ClientAuthorisation, type Developer, type Product, type RequirementAssessment, type SelfCertification } from './model.js';

const DAY_MS = 86_400_000;

function demoManifest(submittedAt: string, approvedAt: string): OperationManifest {
  const operations = validateManifestDocuments(DEMO_MANIFEST_DOCUMENTS);
  if (isDenial(operations)) throw new Error(`demo manifest: ${operations.message}`);
  return { version: 1, operations, submittedAt, submittedBy: 'dev.staff@good.example (dsp:developer)', approvedAt, approvedBy: 'ato.assessor@ato.example (ato:admin)' };
}

export const DEMO_DEVELOPER_IDS = ['DEV-GOOD', 'DEV-NONCOMPLIANT'] as const;

export const DEMO_PRODUCT_IDS = [
  'PRD-CERTIFIED',
  'PRD-ENHANCED',
  'PRD-LIMITED',
  'PRD-SUSPENDED',
  'PRD-EXPIRED',
  'PRD-PENDING',
  'PRD-OFFSHORE',
  'PRD-NONCOMPLIANT-DEV',
  'PRD-TRUSTED',
  'PRD-TRUSTED-LOG',
] as const;
export type DemoProductId = (typeof DEMO_PRODUCT_IDS)[number];

/** One line per demo product, for printing at start. */
export const DEMO_PRODUCT_STATES: Readonly<Record<DemoProductId, string>> = {
  'PRD-CERTIFIED': 'certified STANDARD, all four services, minimum version 2.0.0, hosted in AU',
  'PRD-ENHANCED': 'certified ENHANCED (may read restricted data); DPoP-bound to the demo key (npm run token -- --dpop)',
  'PRD-LIMITED': 'certified with gaps: whitelisted clients.read only',
  'PRD-SUSPENDED': 'suspended',
  'PRD-EXPIRED': 'certification expired',
  'PRD-PENDING': 'self-certified, not yet certified',
  'PRD-OFFSHORE': 'certified, data also hosted in the US',
  'PRD-NONCOMPLIANT-DEV': 'certified, owned by DEV-NONCOMPLIANT (suspended developer)',
  'PRD-TRUSTED': 'certified with an approved operation manifest, trusted documents ENFORCE (others are OFF)',
  'PRD-TRUSTED-LOG': 'certified with an approved operation manifest, trusted documents LOG',
};

/**
 * The operations the demo's trusted products were certified for (docs/tokens.md sends them, by
 * document and by hash). Any other document from PRD-TRUSTED is refused OPERATION_NOT_CERTIFIED.
 */
export const DEMO_MANIFEST_DOCUMENTS = [
  'query ClientName($clientId: ID!) {\n  client(clientId: $clientId) {\n    id\n    name\n  }\n}',
  'query ClientDetails($clientId: ID!) {\n  client(clientId: $clientId) {\n    id\n    name\n    type\n    abn\n    gstRegistered\n  }\n}',
] as const;

/** Demo organisations (token `org` claim) and the clients each may act for. */
export const DEMO_ORGS = {
  /** Demo tax practitioner: clients C-000001 … C-000050. */
  practitioner: '12345679016',
  /** A company acting only for itself: client C-000100. */
  company: '98765432122',
} as const;

export const DEMO_SERVICES = ['clients.read', 'lodgments.read', 'lodgments.write', 'accounts.read'];
export const DEMO_MINIMUM_VERSION = '2.0.0';

export interface DemoRegister {
  developers: Developer[];
  products: Product[];
  authorisations: ClientAuthorisation[];
}

export function demoClientId(n: number): string {
  return `C-${String(n).padStart(6, '0')}`;
}

function selfCertification(at: string, gaps: Partial<Record<RequirementAssessment['requirement'], Omit<RequirementAssessment, 'requirement'>>> = {}): SelfCertification {
  return {
    submittedAt: at,
    submittedBy: 'security.lead@demo-developer.example',
    assessments: REQUIREMENTS.map((requirement) => ({ requirement, outcome: 'MET' as const, evidence: `Demo evidence for ${requirement.toLowerCase()}.`, ...gaps[requirement] })),
  };
}

/**
 * @param dpopThumbprints the keys ENHANCED products' tokens are bound to (binding required): the
 *   demo DPoP key's thumbprint (core/keys.ts ensureDemoDpopKey). Default none, which leaves those
 *   products refusing every token (bound to no registered key).
 */
export function demoRegister(now: Date, dpopThumbprints: readonly string[] = []): DemoRegister {
  const t = now.getTime();
  const iso = (offsetDays: number) => new Date(t + offsetDays * DAY_MS).toISOString();

  const developer = (id: string, abn: string, legalName: string, standing: Pick<Developer, 'status' | 'statusReason' | 'eligibility'>): Developer => ({
    id,
    abn,
    legalName,
    contact: { name: `${legalName} compliance`, email: `compliance@${id.toLowerCase()}.example` },
    roles: ['DEVELOPER'],
    ...standing,
    reviewDueAt: iso(335),
    registeredAt: iso(-30),
    revision: 0,
  });

  const developers: Developer[] = [
    developer('DEV-GOOD', '51824753556', 'Good Software Pty Ltd', {
      status: 'ACTIVE',
      statusReason: null,
      eligibility: { abnValid: true, declarationsAccepted: true, taxObligationsCurrent: true, abnUnique: true, reasons: [] },
    }),
    // Scenario 4: a legitimate developer not compliant in its own tax obligations.
    developer('DEV-NONCOMPLIANT', '53004085616', 'Noncompliant Software Pty Ltd', {
      status: 'SUSPENDED',
      statusReason: 'Tax obligations not current (lodgment overdue).',
      eligibility: { abnValid: true, declarationsAccepted: true, taxObligationsCurrent: false, abnUnique: true, reasons: ['Tax obligations are not current.'] },
    }),
  ];

  const certification = (tier: 'STANDARD' | 'ENHANCED', validFromDays = -30, validUntilDays = 365): Product['certification'] => ({
    tier,
    validFrom: iso(validFromDays),
    validUntil: iso(validUntilDays),
    certifiedAt: iso(validFromDays),
    certifiedBy: 'ato.assessor@ato.example',
  });

  const product = (id: string, name: string, overrides: Partial<Product> = {}): Product => ({
    id,
    developerId: 'DEV-GOOD',
    name,
    deploymentModel: 'CLOUD',
    dataHosting: ['AU'],
    minimumVersion: DEMO_MINIMUM_VERSION,
    status: 'CERTIFIED',
    statusReason: null,
    selfCertification: selfCertification(iso(-35)),
    certification: certification('STANDARD'),
    services: [...DEMO_SERVICES],
    suspension: null,
    rateTier: 'demo',
    registeredAt: iso(-40),
    revision: 0,
    ...overrides,
  });

  const products: Product[] = [
    product('PRD-CERTIFIED', 'Certified Practice Manager'),
    // Restricted data, so a stolen token alone must not be enough: bound to the product's key (DPoP).
    product('PRD-ENHANCED', 'Enhanced Practice Manager', { certification: certification('ENHANCED'), keyBinding: { required: true, thumbprints: [...dpopThumbprints] } }),
    // Scenario 2: legitimate but unsophisticated; gaps in the self-certification, so only client reads.
    product('PRD-LIMITED', 'Limited Bookkeeper', {
      services: ['clients.read'],
      selfCertification: selfCertification(iso(-35), {
        MULTIFACTOR_AUTHENTICATION: { outcome: 'NOT_MET', evidence: 'MFA is on the roadmap; passwords only today.' },
        ENCRYPTION_AT_REST: { outcome: 'COMPENSATING_CONTROL', evidence: 'Full-disk encryption on the hosts.', compensatingControl: 'Provider-managed disk encryption instead of field-level encryption.' },
        SECURITY_MONITORING_PRACTICE: { outcome: 'NOT_MET', evidence: 'No security monitoring in place.' },
      }),
    }),
    product('PRD-SUSPENDED', 'Suspended Tax Tool', {
      status: 'SUSPENDED',
      statusReason: 'Suspended pending investigation of unusual access.',
      suspension: { reason: 'Suspended pending investigation of unusual access.', since: iso(-2), until: null, actor: 'ato.admin@ato.example', resumeStatus: 'CERTIFIED' },
    }),
    product('PRD-EXPIRED', 'Expired Ledger', { certification: certification('STANDARD', -400, -35) }),
    product('PRD-PENDING', 'Pending Payroll', { status: 'SELF_CERTIFIED', certification: null }),
    product('PRD-OFFSHORE', 'Offshore Accounts', {
      dataHosting: ['AU', 'US'],
      selfCertification: selfCertification(iso(-35), { DATA_HOSTING: { outcome: 'MET', evidence: 'Hosted in Sydney with a replica in the US (us-east-1).' } }),
    }),
    // Scenario 4: the product is fine, its developer is not.
    product('PRD-NONCOMPLIANT-DEV', 'Noncompliant Developer App', { developerId: 'DEV-NONCOMPLIANT' }),
    // Certified operations: ENFORCE by default once a manifest is approved; LOG set by an admin.
    product('PRD-TRUSTED', 'Trusted Practice Manager', { manifest: demoManifest(iso(-34), iso(-30)) }),
    product('PRD-TRUSTED-LOG', 'Trusted Bookkeeper (logging)', { manifest: demoManifest(iso(-34), iso(-30)), trustedDocuments: 'LOG' }),
  ];

  const authorisation = (org: string, clientId: string): ClientAuthorisation => ({ org, clientId, grantedAt: iso(-30), expiresAt: null, revoked: false, revision: 0 });
  const authorisations: ClientAuthorisation[] = [
    ...Array.from({ length: 50 }, (_, i) => authorisation(DEMO_ORGS.practitioner, demoClientId(i + 1))),
    authorisation(DEMO_ORGS.company, demoClientId(100)),
  ];

  return { developers, products, authorisations };
}
