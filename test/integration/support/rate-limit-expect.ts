/**
 * Shared checks for rate-limit integration tests: the RateLimit-* / Retry-After headers as numbers,
 * and the access records that carry a given error code.
 */
import type { ChainedAccessRecord } from '../../../audit/record.js';
import type { Store } from '../../../store/port.js';
import type { GraphQLResult } from '../../helpers/system.js';

export interface RateHeaders {
  limit: number;
  remaining: number;
  reset: number;
  /** NaN when the response has no Retry-After. */
  retryAfter: number;
}

const INTEGER = /^\d+$/;

/** Parses a header that must be a non-negative integer; NaN when absent or not one. */
function integerHeader(headers: Headers, name: string): number {
  const value = headers.get(name);
  return value !== null && INTEGER.test(value) ? Number(value) : Number.NaN;
}

export function rateHeadersOf(r: Pick<GraphQLResult, 'headers'>): RateHeaders {
  return {
    limit: integerHeader(r.headers, 'ratelimit-limit'),
    remaining: integerHeader(r.headers, 'ratelimit-remaining'),
    reset: integerHeader(r.headers, 'ratelimit-reset'),
    retryAfter: integerHeader(r.headers, 'retry-after'),
  };
}

/** Every access record holding `errorCode` (all pages), newest first. */
export async function recordsWithCode(store: Store, errorCode: string): Promise<ChainedAccessRecord[]> {
  const records: ChainedAccessRecord[] = [];
  let after: string | null = null;
  do {
    const page = await store.queryAccessLogs({ errorCode }, { first: 100, after });
    records.push(...page.records);
    after = page.nextCursor;
  } while (after);
  return records;
}
