/**
 * Every actor a subgraph records (register changes, incident notifications and triage) names the
 * subject's issuer when the gateway asserted one (several issuers trusted), and is as before
 * without: the same `sub` at two issuers is two people.
 */
import type { AssertionClaims } from '../../../core/assertion.js';
import { isDenial } from '../../../registry/change-note.js';
import { notifier, triager } from '../../../subgraphs/registry-incidents/access.js';
import { adminActor, staffActor } from '../../../subgraphs/registry/access.js';

const ISSUER = 'https://staff.example';
const identity = (roles: string[], subjectIssuer?: string): AssertionClaims => ({
  sub: 'jo', org: null, softwareId: null, softwareVersion: null, developerId: 'DEV-GOOD', tier: null, roles, mfa: true, requestId: null, ...(subjectIssuer ? { subjectIssuer } : {}),
});

/** The actor each recording function gives for `who` (a denial as its code). */
function actors(who: AssertionClaims): unknown[] {
  const text = (r: unknown) => (isDenial(r) ? r.code : typeof r === 'string' ? r : (r as { actor: string }).actor);
  return [adminActor(who), staffActor(who, 'DEV-GOOD'), notifier(who), triager(who)].map(text);
}

describe('recorded actors and the subject\'s issuer', () => {
  it('names the issuer for an admin and for developer staff when the assertion carries one', () => {
    expect(actors(identity(['ato:admin'], ISSUER))).toEqual(Array(4).fill(`jo (ato:admin, issuer ${ISSUER})`));
    expect(actors(identity(['dsp:developer'], ISSUER))).toEqual(['ROLE_REQUIRED', `jo (dsp:developer, issuer ${ISSUER})`, `jo (dsp:developer, issuer ${ISSUER})`, 'ROLE_REQUIRED']);
  });

  it('is the sub and role alone with one issuer', () => {
    expect(actors(identity(['ato:admin']))).toEqual(Array(4).fill('jo (ato:admin)'));
    expect(actors(identity(['dsp:developer']))).toEqual(['ROLE_REQUIRED', 'jo (dsp:developer)', 'jo (dsp:developer)', 'ROLE_REQUIRED']);
  });
});
