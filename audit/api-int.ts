/**
 * The audit API carries seqs and counts as GraphQL `Int` (32-bit). A value past it (a chain head
 * or checkpoint row a forger wrote at seq 3,000,000,000, or a chain truly that long) would fail
 * the whole answer and hide every finding with it. So a verification result is given to the API
 * with such numbers held at the largest Int, and each problem whose seq was held says the real
 * one in its detail. The CLI prints the exact figures.
 */
export const GRAPHQL_INT_MAX = 2 ** 31 - 1;
const GRAPHQL_INT_MIN = -(2 ** 31);

const fits = (n: number) => n <= GRAPHQL_INT_MAX && n >= GRAPHQL_INT_MIN;
const held = (n: number) => (n > GRAPHQL_INT_MAX ? GRAPHQL_INT_MAX : n < GRAPHQL_INT_MIN ? GRAPHQL_INT_MIN : n);

/** A copy of `value` whose whole numbers all fit GraphQL's Int (see the file comment). */
export function withinGraphqlInt<T>(value: T): T {
  if (typeof value === 'number') return (Number.isFinite(value) && !fits(value) ? held(value) : value) as T;
  if (Array.isArray(value)) return value.map((v) => withinGraphqlInt(v)) as T;
  if (value === null || typeof value !== 'object' || value instanceof Date) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) out[key] = withinGraphqlInt(v);
  const problem = value as { seq?: unknown; toSeq?: unknown; detail?: unknown };
  if (typeof problem.detail === 'string') {
    const beyond = [problem.seq, problem.toSeq].filter((n): n is number => typeof n === 'number' && Number.isFinite(n) && !fits(n));
    if (beyond.length) out.detail = `${problem.detail} (seq ${[...new Set(beyond)].join('–')}, past the API's Int range)`;
  }
  return out as T;
}
