/**
 * The HTTP status of a GraphQL answer, from its errors (docs/errors.md): a request that produced
 * no data at all answers with its error's documented status, as does an operation whose every
 * root field failed with an error (a registry mutation refused with REVISION_CONFLICT is a 409,
 * not a 200 with an error inside). When several root fields failed with different codes, the
 * first error in the response decides. Any data served — one root field answered, or a root
 * field that is simply null (an unknown id) — keeps 200, with the errors beside it.
 */
import type { GraphQLFormattedError } from 'graphql';
import { httpStatusOf, isErrorCode } from '../../core/errors.js';

/** The status the errors call for, or null when the answer is a success (200). */
export function statusFromErrors(data: Record<string, unknown> | null | undefined, errors: readonly GraphQLFormattedError[] | undefined): number | null {
  if (!errors?.length) return null;
  let explaining: readonly GraphQLFormattedError[] = errors;
  if (data) {
    const keys = Object.keys(data);
    if (!keys.length) return null;
    // Every root field must be null and explained by an error at that field, or by an error with
    // no path at all (a subgraph fetch that failed as a whole).
    const pathless = errors.some((e) => !e.path?.length);
    for (const key of keys) if (data[key] !== null || !(pathless || errors.some((e) => e.path?.[0] === key))) return null;
    explaining = errors.filter((e) => !e.path?.length || (typeof e.path[0] === 'string' && keys.includes(e.path[0])));
  }
  for (const e of explaining) {
    const code = e.extensions?.code;
    if (isErrorCode(code)) return httpStatusOf(code);
  }
  return null;
}
