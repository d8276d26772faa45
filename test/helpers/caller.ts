import type { Caller } from '../../authorisation/directives/caller.js';

/** A product caller with sensible defaults; override what a test is about. */
export function productCaller(over: Partial<Caller> & { services?: string[]; tier?: 'STANDARD' | 'ENHANCED' | null; onshore?: boolean; authorised?: string[] } = {}): Caller {
  const services = over.services ?? ['clients.read', 'lodgments.read', 'lodgments.write', 'accounts.read'];
  const authorised = new Set(over.authorised ?? ['C-000001']);
  return {
    kind: 'product',
    sub: 'user-1',
    org: '12345679016',
    scopes: over.scopes ?? new Set(services),
    roles: new Set(),
    mfa: false,
    product: { id: 'PRD-X', services: new Set(services), tier: over.tier === undefined ? 'STANDARD' : over.tier, onshore: over.onshore ?? true },
    clientAuthorisation: (clientId) => ({ authorised: authorised.has(clientId), holdsUntil: Number.POSITIVE_INFINITY }),
    holdsUntil: Number.POSITIVE_INFINITY,
    ...over,
  };
}

export function staffCaller(roles: string[], mfa = true): Caller {
  return { kind: 'staff', sub: 'staff-1', org: null, scopes: new Set(), roles: new Set(roles), mfa, product: null, clientAuthorisation: () => ({ authorised: false, holdsUntil: Number.POSITIVE_INFINITY }), holdsUntil: Number.POSITIVE_INFINITY };
}
