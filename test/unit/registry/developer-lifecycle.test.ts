import { approveDeveloper, completeAnnualReview, deregisterDeveloper, DEVELOPER_TRANSITIONS, rejectDeveloper, reinstateDeveloper, reviewOverdue, suspendDeveloper, TERMINAL_DEVELOPER_STATUSES, type DeveloperAction } from '../../../registry/developer-lifecycle.js';
import type { Outcome } from '../../../registry/change-note.js';
import { DEVELOPER_STATUSES, type Developer } from '../../../registry/model.js';
import { illegalPairs } from '../../../registry/state-machine.js';
import { accepted, ADMIN, DAY, denied, developerIn, NOW, REQUEST } from './fixtures.js';

const COMMANDS: Record<DeveloperAction, (d: Developer) => Outcome<Developer>> = {
  approveDeveloper: (d) => approveDeveloper(d, REQUEST, ADMIN, NOW),
  rejectDeveloper: (d) => rejectDeveloper(d, REQUEST, ADMIN, NOW),
  suspendDeveloper: (d) => suspendDeveloper(d, REQUEST, ADMIN, NOW),
  reinstateDeveloper: (d) => reinstateDeveloper(d, REQUEST, ADMIN, NOW),
  deregisterDeveloper: (d) => deregisterDeveloper(d, REQUEST, ADMIN, NOW),
  completeAnnualReview: (d) => completeAnnualReview(d, REQUEST, ADMIN, NOW),
};

describe('developer state machine', () => {
  const legal = Object.entries(DEVELOPER_TRANSITIONS).flatMap(([action, t]) => t.from.map((state) => ({ action: action as DeveloperAction, state, to: t.to })));

  test.each(legal)('$action from $state leads to $to', ({ action, state, to }) => {
    const { next, note } = accepted(COMMANDS[action](developerIn(state)));
    expect(next.status).toBe(to === 'UNCHANGED' ? state : to);
    expect(note).toMatchObject({ action, actor: ADMIN, reason: REQUEST.reason, ticket: REQUEST.ticket, effectiveAt: new Date(NOW).toISOString() });
  });

  test.each(illegalPairs(DEVELOPER_TRANSITIONS, DEVELOPER_STATUSES))('refuses $action from $state with ILLEGAL_TRANSITION naming the state', ({ action, state }) => {
    const d = denied(COMMANDS[action](developerIn(state)));
    expect(d.code).toBe('ILLEGAL_TRANSITION');
    expect(d.details).toMatchObject({ currentState: state, action });
  });

  test('the illegal pairs include approving a deregistered developer and reinstating an active one', () => {
    const pairs = illegalPairs(DEVELOPER_TRANSITIONS, DEVELOPER_STATUSES);
    expect(pairs).toContainEqual({ action: 'approveDeveloper', state: 'DEREGISTERED' });
    expect(pairs).toContainEqual({ action: 'reinstateDeveloper', state: 'ACTIVE' });
  });

  test('REJECTED and DEREGISTERED are terminal', () => {
    expect([...TERMINAL_DEVELOPER_STATUSES].sort()).toEqual(['DEREGISTERED', 'REJECTED']);
  });

  test('refuses a change without a reason', () => {
    expect(denied(suspendDeveloper(developerIn('ACTIVE'), { reason: '   ' }, ADMIN, NOW)).code).toBe('BAD_USER_INPUT');
  });

  test('refuses a future effectiveAt and keeps a back-dated one', () => {
    expect(denied(suspendDeveloper(developerIn('ACTIVE'), { reason: 'r', effectiveAt: new Date(NOW + DAY).toISOString() }, ADMIN, NOW)).code).toBe('BAD_USER_INPUT');
    const back = new Date(NOW - DAY).toISOString();
    expect(accepted(suspendDeveloper(developerIn('ACTIVE'), { reason: 'r', effectiveAt: back }, ADMIN, NOW)).note.effectiveAt).toBe(back);
  });

  test('records the reason of a status change as the status reason', () => {
    const { next } = accepted(suspendDeveloper(developerIn('ACTIVE'), { reason: 'Lodgment obligations overdue' }, ADMIN, NOW));
    expect(next.statusReason).toBe('Lodgment obligations overdue');
  });

  test('approval restarts the annual review one year from approval', () => {
    const { next } = accepted(approveDeveloper(developerIn('PENDING'), REQUEST, ADMIN, NOW));
    expect(next.reviewDueAt).toBe('2026-03-01T00:00:00.000Z');
  });

  test('reinstatement keeps the review date unless a new one is given', () => {
    const d = developerIn('SUSPENDED');
    expect(accepted(reinstateDeveloper(d, REQUEST, ADMIN, NOW)).next.reviewDueAt).toBe(d.reviewDueAt);
    expect(accepted(reinstateDeveloper(d, { ...REQUEST, reviewDueAt: '2025-06-30T00:00:00Z' }, ADMIN, NOW)).next.reviewDueAt).toBe('2025-06-30T00:00:00.000Z');
  });

  test('refuses a review date that is not after the change', () => {
    expect(denied(reinstateDeveloper(developerIn('SUSPENDED'), { ...REQUEST, reviewDueAt: '2024-01-01T00:00:00Z' }, ADMIN, NOW)).code).toBe('BAD_USER_INPUT');
  });

  test('refuses a review date that does not exist or has no offset', () => {
    for (const reviewDueAt of ['2026-02-30T00:00:00Z', '2026-03-01T00:00:00', '2026-03-01']) {
      expect(denied(reinstateDeveloper(developerIn('SUSPENDED'), { ...REQUEST, reviewDueAt }, ADMIN, NOW)).details).toMatchObject({ field: 'reviewDueAt' });
    }
  });

  test('a completed annual review moves the next one a year on; an overdue review is computed', () => {
    const overdue = developerIn('ACTIVE', { reviewDueAt: new Date(NOW - DAY).toISOString() });
    expect(reviewOverdue(overdue, NOW)).toBe(true);
    const { next } = accepted(completeAnnualReview(overdue, REQUEST, ADMIN, NOW));
    expect(reviewOverdue(next, NOW)).toBe(false);
    expect(next.reviewDueAt).toBe('2026-03-01T00:00:00.000Z');
  });
});
