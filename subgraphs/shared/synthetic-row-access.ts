/**
 * The row-level rule every data subgraph applies, independently of the gateway's directives:
 * a restricted (special interest) client's records are served only to an ENHANCED product, as
 * told by the gateway assertion. Defence in depth: a planning or filtering bug in the gateway
 * still cannot make a subgraph hand out a restricted record.
 */
import type { GraphQLFieldResolver } from 'graphql';
import type { AssertionClaims } from '../../core/assertion.js';
import { denial, type Denial } from '../../core/errors.js';
import type { SubgraphContext } from './server.js';
import type { SyntheticClient, SyntheticData } from './synthetic-types.js';

/** Null when the caller may see the client's records; the RESTRICTED_DATA denial otherwise. */
export function restrictedClientDenial(client: Pick<SyntheticClient, 'id' | 'restricted'>, identity: Pick<AssertionClaims, 'tier'>): Denial | null {
  if (!client.restricted || identity.tier === 'ENHANCED') return null;
  return denial('RESTRICTED_DATA', 'This client is restricted; its records need an ENHANCED certification.', { clientId: client.id });
}

/** The client if it exists and the caller may see it, else null (entity resolution never explains itself). */
export function visibleClient(data: SyntheticData, clientId: unknown, identity: Pick<AssertionClaims, 'tier'>): SyntheticClient | null {
  if (typeof clientId !== 'string') return null;
  const client = data.clientById.get(clientId);
  return client && !restrictedClientDenial(client, identity) ? client : null;
}

/**
 * `Client.__resolveReference` for any data subgraph: unknown and (for non-ENHANCED callers)
 * restricted clients resolve to null. Apollo calls it as (reference, context, info), unlike a field
 * resolver, hence the cast to the resolver map's field type.
 */
export function clientReferenceResolver(data: () => SyntheticData): GraphQLFieldResolver<unknown, SubgraphContext> {
  const resolve = (reference: { id?: unknown }, context: SubgraphContext) => {
    const client = visibleClient(data(), reference.id, context.identity);
    // Apollo defines __typename on the entity it gets back; the shared record is frozen, so hand
    // it a fresh object that reads through to the record (the TFN stays non-enumerable).
    return client ? (Object.create(client) as SyntheticClient) : null;
  };
  return resolve as unknown as GraphQLFieldResolver<unknown, SubgraphContext>;
}
