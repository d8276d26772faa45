import type { Developer, Product } from '../../registry/model.js';

export const NOW = Date.parse('2026-11-22T00:00:00Z');
const day = 86_400_000;

export function developer(over: Partial<Developer> = {}): Developer {
  return {
    id: 'DEV-T',
    abn: '51824753556',
    legalName: 'Test Developer Pty Ltd',
    contact: { name: 'T', email: 't@example.com' },
    roles: ['DEVELOPER'],
    status: 'ACTIVE',
    statusReason: null,
    eligibility: { abnValid: true, declarationsAccepted: true, taxObligationsCurrent: true, abnUnique: true, reasons: [] },
    reviewDueAt: new Date(NOW + 300 * day).toISOString(),
    registeredAt: new Date(NOW - 100 * day).toISOString(),
    revision: 1,
    ...over,
  };
}

export function product(over: Partial<Product> = {}): Product {
  return {
    id: 'PRD-T',
    developerId: 'DEV-T',
    name: 'Test product',
    deploymentModel: 'CLOUD',
    dataHosting: ['AU'],
    minimumVersion: '2.0.0',
    status: 'CERTIFIED',
    statusReason: null,
    selfCertification: null,
    certification: { tier: 'STANDARD', validFrom: new Date(NOW - 30 * day).toISOString(), validUntil: new Date(NOW + 300 * day).toISOString(), certifiedAt: new Date(NOW - 30 * day).toISOString(), certifiedBy: 'admin' },
    services: ['clients.read'],
    suspension: null,
    rateTier: 'demo',
    registeredAt: new Date(NOW - 60 * day).toISOString(),
    revision: 2,
    ...over,
  };
}
