/** The `first` argument of the data subgraphs' lists: an integer from 1 to MAX_PAGE, else BAD_USER_INPUT. */
import { CodedError } from '../../core/errors.js';

export const MAX_PAGE = 100;
export const DEFAULT_PAGE = 10;

export function pageSize(first: unknown): number {
  if (first === undefined || first === null) return DEFAULT_PAGE;
  if (typeof first !== 'number' || !Number.isInteger(first) || first < 1 || first > MAX_PAGE) {
    throw new CodedError('BAD_USER_INPUT', `first must be an integer from 1 to ${MAX_PAGE}.`, { details: { argument: 'first' } });
  }
  return first;
}
