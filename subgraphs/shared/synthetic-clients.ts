/** Synthetic taxpayers: type mix, names, unique valid TFNs and ABNs, AU addresses, a few restricted. */
import { clientIdOf, randomAbn, randomTfn } from '../../core/ids.js';
import type { Random } from './synthetic-random.js';
import type { ClientType, SpecialInterestCategory, SyntheticClient } from './synthetic-types.js';
import { BUSINESS_TRADES, BUSINESS_WORDS, CASE_OFFICERS, FAMILY_NAMES, GIVEN_NAMES, STREET_KINDS, STREET_NAMES, SUBURBS } from './synthetic-words.js';

/** ABNs of the demo register's org claims (DESIGN.md §9), fixed so the demo authorisations mean what they say. */
export const DEMO_PRACTITIONER_ABN = '12345679016';
export const DEMO_COMPANY_ABN = '98765432122';
/** The client whose ABN is DEMO_COMPANY_ABN ("the org is the client"). */
export const DEMO_COMPANY_CLIENT_ID = 'C-000100';
/** The restricted (special interest) client the demo practitioner is authorised for. */
export const DEMO_RESTRICTED_CLIENT_ID = 'C-000003';
/** Share of clients beyond the demo range flagged restricted. */
export const RESTRICTED_SHARE = 0.035;

const TYPE_WEIGHTS: ReadonlyArray<readonly [ClientType, number]> = [
  ['INDIVIDUAL', 0.55],
  ['COMPANY', 0.25],
  ['TRUST', 0.12],
  ['PARTNERSHIP', 0.08],
];

const CATEGORIES: readonly SpecialInterestCategory[] = ['PUBLIC_FIGURE', 'PROTECTED_IDENTITY', 'ATO_STAFF', 'LAW_ENFORCEMENT'];

function pickType(random: Random): ClientType {
  let roll = random.next();
  for (const [type, weight] of TYPE_WEIGHTS) {
    roll -= weight;
    if (roll < 0) return type;
  }
  return 'INDIVIDUAL';
}

function nameFor(type: ClientType, random: Random): string {
  const family = random.pick(FAMILY_NAMES);
  switch (type) {
    case 'INDIVIDUAL':
      return `${random.pick(GIVEN_NAMES)} ${family}`;
    case 'COMPANY':
      return `${random.pick(BUSINESS_WORDS)} ${random.pick(BUSINESS_TRADES)} Pty Ltd`;
    case 'TRUST':
      return random.chance(0.6) ? `The ${family} Family Trust` : `${random.pick(BUSINESS_WORDS)} Unit Trust`;
    case 'PARTNERSHIP':
      return `${family} & ${random.pick(FAMILY_NAMES)} ${random.pick(BUSINESS_TRADES)}`;
  }
}

/** Client numbers 1–50 are the demo practitioner's; among them only C-000003 is restricted, so the demo is predictable. */
function isRestricted(n: number, random: Random): boolean {
  if (clientIdOf(n) === DEMO_RESTRICTED_CLIENT_ID) return true;
  if (n <= 50 || clientIdOf(n) === DEMO_COMPANY_CLIENT_ID) return false;
  return random.chance(RESTRICTED_SHARE);
}

function drawUnique(draw: () => string, taken: Set<string>): string {
  for (;;) {
    const value = draw();
    if (!taken.has(value)) {
      taken.add(value);
      return value;
    }
  }
}

export interface ClientGenerator {
  /** Client number `n` (1-based), drawing from `random` (a per-client stream). */
  client(n: number, random: Random): SyntheticClient;
}

/** Holds the sets that keep TFNs and ABNs unique across one data set (and off the demo org ABNs). */
export function createClientGenerator(): ClientGenerator {
  const tfns = new Set<string>();
  const abns = new Set<string>([DEMO_PRACTITIONER_ABN, DEMO_COMPANY_ABN]);
  return {
    client(n, random) {
      const id = clientIdOf(n);
      const isDemoCompany = id === DEMO_COMPANY_CLIENT_ID;
      const type = isDemoCompany ? 'COMPANY' : pickType(random);
      const name = isDemoCompany ? 'Southern Cross Software Pty Ltd' : nameFor(type, random);
      const hasAbn = type !== 'INDIVIDUAL' || random.chance(0.2);
      const abn = isDemoCompany ? DEMO_COMPANY_ABN : hasAbn ? drawUnique(() => randomAbn(random.next), abns) : null;
      // Partnerships here all run a business above the GST threshold; trusts and companies mostly do.
      const gstRegistered = isDemoCompany || type === 'PARTNERSHIP' || (abn !== null && random.chance(type === 'INDIVIDUAL' ? 0.5 : 0.85));
      const tfn = drawUnique(() => randomTfn(random.next), tfns);
      const [suburb, state, postcode] = random.pick(SUBURBS);
      const unit = random.chance(0.25) ? `Unit ${random.int(1, 40)}, ` : '';
      const address = { line1: `${unit}${random.int(1, 250)} ${random.pick(STREET_NAMES)} ${random.pick(STREET_KINDS)}`, suburb, state, postcode };
      const restricted = isRestricted(n, random);
      const specialInterest = restricted
        ? { category: random.pick(CATEGORIES), caseOfficer: random.pick(CASE_OFFICERS), since: `${random.int(2015, 2025)}-${String(random.int(1, 12)).padStart(2, '0')}-${String(random.int(1, 28)).padStart(2, '0')}` }
        : null;
      const client = { id, name, type, abn, gstRegistered, address, restricted, specialInterest } as Omit<SyntheticClient, 'tfn'>;
      // Non-enumerable: the full TFN never rides along when a record is spread, serialised or logged.
      Object.defineProperty(client, 'tfn', { value: tfn, enumerable: false, writable: false });
      return client as SyntheticClient;
    },
  };
}
