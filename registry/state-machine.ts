/**
 * Transition tables as data. Each lifecycle (developer, product, client authorisation) declares
 * which actions are allowed from which states and where they lead; this module answers one
 * question: may `action` run from `current`, and what is the next state.
 */
import { denial, type Denial } from '../core/errors.js';

/** The action keeps the current state (e.g. whitelisting more services on a certified product). */
export const UNCHANGED = 'UNCHANGED';
/** The action returns to the state recorded when the entity was suspended. */
export const RESUME = 'RESUME';

export interface Transition<S extends string> {
  from: readonly S[];
  to: S | typeof UNCHANGED | typeof RESUME;
}

export type TransitionTable<A extends string, S extends string> = Readonly<Record<A, Transition<S>>>;

/**
 * The table's target for `action` from `current` (UNCHANGED and RESUME left for the caller to
 * resolve), or ILLEGAL_TRANSITION naming the current state and the action.
 */
export function transitionFrom<A extends string, S extends string>(
  table: TransitionTable<A, S>,
  entityType: string,
  action: A,
  current: S,
): Transition<S>['to'] | Denial {
  const transition = table[action];
  if (!transition || !transition.from.includes(current)) {
    return denial('ILLEGAL_TRANSITION', `${entityType} in state ${current} cannot ${action}.`, {
      entityType,
      currentState: current,
      action,
      allowedFrom: transition ? [...transition.from] : [],
    });
  }
  return transition.to;
}

/** Every (action, state) pair the table refuses: the illegal transitions, for tests and docs. */
export function illegalPairs<A extends string, S extends string>(table: TransitionTable<A, S>, states: readonly S[]): Array<{ action: A; state: S }> {
  const pairs: Array<{ action: A; state: S }> = [];
  for (const action of Object.keys(table) as A[]) {
    for (const state of states) if (!table[action].from.includes(state)) pairs.push({ action, state });
  }
  return pairs;
}
