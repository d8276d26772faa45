/**
 * Caches the two costly steps of field authorisation: the walk of a document (per document hash
 * and operation name) and the decision for a caller (per walk, caller grants — which include the
 * registry revision — and the client ids the request names). A second identical request pays
 * neither the walk nor the directive evaluation again.
 *
 * A decision also depends on the clock (an authorisation that expires, a certification that
 * ends), which no key can capture: each cached decision carries the instant until which it holds
 * (FieldDecision.holdsUntil) and is a miss from that instant on.
 */
import { LRUCache } from 'lru-cache';
import { cacheEntryBytes, MIB } from '../core/approximate-size.js';
import { idleExpiryOptions, purgeStaleBytes, type IdleExpiry, type Sweepable } from '../core/idle-expiry.js';
import type { DocumentNode, GraphQLSchema, OperationDefinitionNode } from 'graphql';
import type { Caller } from './directives/caller.js';
import type { RequirementMap } from './requirement-map.js';
import { decideFields, filterDocument, type FieldDecision, type FilteredOperation } from './field-decision.js';
import { analyseOperation, argumentString, DEFAULT_MAX_WALK_VISITS, type OperationAnalysis } from './operation-analysis.js';

export interface CachedDecision {
  decision: FieldDecision;
  /** Present when some field was refused and the rest is to be executed. */
  filtered: FilteredOperation | null;
  /** The instant it was decided at: it holds over [decidedAt, decision.holdsUntil). */
  decidedAt: number;
}

export interface DecisionCacheStats {
  analysisHits: number;
  analysisMisses: number;
  decisionHits: number;
  decisionMisses: number;
}

export interface DecisionCache extends Sweepable {
  /**
   * The walk of `operation` in `document`, cached per key. Only a walk of this very document
   * object is reused: its entries hold the document's field nodes, which filterDocument removes
   * by identity, so a walk of another parse of the same text (Apollo's document store dropped
   * and parsed it again, or a refused request parsed it for its record) is walked again.
   */
  analyse(key: string, schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, map: RequirementMap): OperationAnalysis;
  /**
   * What a refused request attempted, for its access record: the cached walk of any parse of the
   * text under `key`, or a walk of `document` that is not cached (so a refused request never
   * replaces the walk admitted requests filter with).
   */
  describe(key: string, schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, map: RequirementMap): OperationAnalysis;
  /** `now` is the request's instant, the one the caller was resolved at. */
  decide(analysisKey: string, analysis: OperationAnalysis, document: DocumentNode, operationName: string | null, caller: Caller, grantsKey: string, variables: Record<string, unknown> | undefined, now: number): CachedDecision;
  stats(): DecisionCacheStats;
  clear(): void;
}

/**
 * @param size entries per cache (default 10000; 0 disables caching).
 * @param maxBytes approximate bytes per cache (analyses, decisions; default 8 MiB each, DECISION_CACHE_MIB): an entry
 *   larger than a tenth of it is not cached.
 * @param expiry idle expiry (CACHE_IDLE_S; default none): an entry unused that long is purged by
 *   the gateway's sweeper (core/idle-expiry.ts). Memory only: it never lengthens a decision's
 *   validity, which is decidedAt … holdsUntil on the request's clock.
 * @param maxWalkVisits selections one walk may visit, spreads counted each time they are expanded
 *   (default DEFAULT_MAX_WALK_VISITS); past it `analyse` and `describe` throw WalkTooLargeError.
 */
export function createDecisionCache(size = 10_000, maxBytes = 8 * MIB, expiry?: IdleExpiry, maxWalkVisits = DEFAULT_MAX_WALK_VISITS): DecisionCache {
  const bounds = { max: size, maxSize: maxBytes, maxEntrySize: Math.ceil(maxBytes / 10), ...(expiry ? idleExpiryOptions(expiry) : {}) };
  // The walk's own nodes, not the document (Apollo's document store holds that).
  // The key counts too (UTF-16, two bytes a unit): a decision's key holds the client ids the
  // request named, which a caller chooses, beside the decision's own copy of them.
  const analyses = size > 0 ? new LRUCache<string, { analysis: OperationAnalysis; document: DocumentNode }>({ ...bounds, sizeCalculation: (a, key) => cacheEntryBytes(a.analysis) + 2 * key.length }) : null;
  const decisions = size > 0 ? new LRUCache<string, CachedDecision>({ ...bounds, sizeCalculation: (d, key) => cacheEntryBytes(d) + 2 * key.length }) : null;
  const stats: DecisionCacheStats = { analysisHits: 0, analysisMisses: 0, decisionHits: 0, decisionMisses: 0 };
  // Analyses are per schema: a supergraph reload must not reuse walks of the old one.
  let analysesSchema: GraphQLSchema | null = null;
  const forSchema = (schema: GraphQLSchema) => {
    if (analysesSchema === schema) return;
    analyses?.clear();
    decisions?.clear();
    analysesSchema = schema;
  };
  return {
    analyse(key, schema, document, operation, map) {
      forSchema(schema);
      const hit = analyses?.get(key);
      if (hit && hit.document === document) {
        stats.analysisHits++;
        return hit.analysis;
      }
      stats.analysisMisses++;
      const analysis = analyseOperation(schema, document, operation, map, maxWalkVisits);
      analyses?.set(key, { analysis, document });
      return analysis;
    },
    describe(key, schema, document, operation, map) {
      forSchema(schema);
      return analyses?.get(key)?.analysis ?? analyseOperation(schema, document, operation, map, maxWalkVisits);
    },
    decide(analysisKey, analysis, document, operationName, caller, grantsKey, variables, now) {
      // JSON, not a joined string: no two lists of client ids (whatever characters they hold) share a key.
      const clientIds: Array<string | null> = [];
      for (const index of analysis.clientArgumentEntries) {
        for (const [, value] of analysis.entries[index]!.argumentValues) clientIds.push(argumentString(value, variables) ?? null);
      }
      const key = `${analysisKey}\u0001${grantsKey}\u0001${JSON.stringify(clientIds)}`;
      const hit = decisions?.get(key);
      if (hit) {
        // Valid from the instant it was decided until the earliest timed fact it read lapses: a
        // request resolved at an earlier instant (overtaken by a later one) decides for itself.
        if (now >= hit.decidedAt && now < hit.decision.holdsUntil) {
          stats.decisionHits++;
          return hit;
        }
        // A fact the decision read has lapsed by the clock: decide again.
        decisions!.delete(key);
      }
      stats.decisionMisses++;
      const decision = decideFields(analysis, caller, variables, now);
      const filtered = decision.refused.length && !decision.nothingLeft ? filterDocument(document, operationName, decision.refused) : null;
      const entry = { decision, filtered, decidedAt: now };
      decisions?.set(key, entry);
      return entry;
    },
    stats: () => ({ ...stats }),
    purgeStale: () => purgeStaleBytes(analyses) + purgeStaleBytes(decisions),
    clear() {
      analyses?.clear();
      decisions?.clear();
    },
  };
}
