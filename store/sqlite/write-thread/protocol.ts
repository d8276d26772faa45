/**
 * Messages between SqliteWriteThread (client.ts, the store's side) and its worker (worker.ts):
 * each message is an array of requests, answered by one array of replies in the same order.
 */
import type { SerializedError } from '../errors.js';
import type { ChainBatch } from '../../../audit/chain.js';
import type { ChainHead, ChainedAccessRecord, Checkpoint } from '../../../audit/record.js';
import type { RateLimiterSpec } from '../../port.js';

export interface WriteThreadData {
  path: string;
  /** The access log's commit durability (the counters' connection is always synchronous=OFF). */
  sqliteSync: 'full' | 'normal' | 'off';
  busyTimeoutMs: number;
}

/** Rate-limiter methods the thread runs on its RateLimiterSQLite instances. */
export type LimiterMethod = 'consume' | 'penalty' | 'reward' | 'get' | 'set' | 'block' | 'delete';

export type ThreadRequest =
  | { id: number; op: 'append'; records: ChainedAccessRecord[]; checkpoints: Checkpoint[] }
  /** The writer's path: records travel as JSON text (cheap to copy), chained and hashed on the thread. */
  | { id: number; op: 'appendToChain'; batch: ChainBatch; checkpoints: Checkpoint[] }
  /** appendToChain onto the head the file holds, which must be at `batch.head.seq` (SqliteAccessLogWrites.appendToChainAfter). */
  | { id: number; op: 'appendToChainAfter'; batch: ChainBatch; checkpoints: Checkpoint[] }
  | { id: number; op: 'checkpoint'; checkpoint: Checkpoint }
  | { id: number; op: 'openChain'; head: ChainHead }
  /**
   * `spec` only on a limiter's first call to a thread; later calls name the limiter. `at`: the
   * caller's clock (ms) when the store was given one; the thread's Date.now follows it from then on.
   */
  | { id: number; op: 'limiter'; limiterId: number; spec?: RateLimiterSpec; method: LimiterMethod; args: unknown[]; at?: number }
  /** Moves staged access records into the indexed tables (a read is about to happen). */
  | { id: number; op: 'fold' }
  | { id: number; op: 'close' };

/** A RateLimiterRes's fields (the class does not survive structured cloning). */
export interface LimiterResFields {
  remainingPoints: number;
  msBeforeNext: number;
  consumedPoints: number;
  isFirstInDuration: boolean;
}

export type ThreadReply =
  /** `value`: a limiter's answer, the hashes of an appendToChain batch, or what appendToChainAfter returns. */
  | { id: number; ok: true; value?: LimiterResFields | boolean | null | string[] | number | { prevHash: string; hashes: string[] } }
  /** A rate limiter refused: the promise rejects with a RateLimiterRes, as the library's do. */
  | { id: number; ok: false; limited: LimiterResFields }
  | { id: number; ok: false; error: SerializedError };
