/**
 * The SQLite store's write thread, seen from the store: the hot-path writes — access-log appends
 * (the writer's records arrive as JSON text and are linked, hashed and committed with an fsync
 * there) and rate-limit counters — run on a worker thread with connections of its own, so the
 * gateway's event loop never waits for a commit, a record hash or a counter update. The store's
 * own connection keeps the register, reads and everything else.
 *
 * - Started on first use (a process that never writes the access log or counts a request, such
 *   as a subgraph, never starts it). Requests made meanwhile wait for it.
 * - In order: the worker handles requests one at a time, in the order they were made.
 * - Batched: requests made in one turn of the event loop travel as one message (and their replies
 *   as one), so under load the cost of crossing threads is paid per turn, not per request.
 * - Errors come back translated as the store's own would be (StoreUnavailableError for an
 *   unavailable database), and a refused rate limit rejects with a RateLimiterRes.
 * - If the thread dies, every waiting request fails with StoreUnavailableError and the next
 *   request starts a new thread: callers fail closed and retry, as for any store outage. A thread
 *   that dies before answering anything (it cannot load) is not replaced for a second, so a
 *   broken installation does not start a thread per request.
 * - The thread keeps the process alive only while requests are waiting.
 */
import { Worker } from 'node:worker_threads';
import { RateLimiterCompatibleAbstract, RateLimiterRes } from 'rate-limiter-flexible';
import type { ChainBatch } from '../../../audit/chain.js';
import type { ChainHead, ChainedAccessRecord, Checkpoint } from '../../../audit/record.js';
import { StoreUnavailableError, type RateLimiterSpec } from '../../port.js';
import { revivedError } from '../errors.js';
import { workerEntry } from '../worker-entry.js';
import type { LimiterMethod, LimiterResFields, ThreadReply, ThreadRequest, WriteThreadData } from './protocol.js';

/** How long to wait before starting a new thread after one died without answering, ms. */
const RESPAWN_PAUSE_MS = 1000;

type Call = ThreadRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

interface Waiting {
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

const revive = (fields: LimiterResFields) => new RateLimiterRes(fields.remainingPoints, fields.msBeforeNext, fields.consumedPoints, fields.isFirstInDuration);

export class SqliteWriteThread {
  private worker: Worker | null = null;
  private readonly waiting = new Map<number, Waiting>();
  private nextId = 1;
  private nextLimiterId = 1;
  private closed = false;
  /** After a thread died without answering, no new one starts before this time (ms). */
  private noSpawnUntil = 0;
  private startFailure: unknown = null;
  /** Requests not yet posted: sent together once this turn of the event loop is over. */
  private outbox: ThreadRequest[] = [];
  /** Limiters whose spec the current thread has been (or is about to be) sent. */
  private specsSent = new Set<number>();
  private flushScheduled = false;

  /** Whether a clock other than Date.now was given: then each limiter call carries its reading. */
  private readonly clockGiven: boolean;

  constructor(
    private readonly data: WriteThreadData,
    /**
     * Clock, ms: the respawn pause, and, when given, the rate-limit counters' time. The counters
     * are rate-limiter-flexible's, which read Date.now on the thread; each limiter call carries
     * this clock's reading, and the thread's Date.now follows it (worker.ts). Default Date.now.
     */
    private readonly now: () => number = Date.now,
  ) {
    this.clockGiven = now !== Date.now;
  }

  appendAccessRecords(records: ChainedAccessRecord[], checkpoints: Checkpoint[] = []): Promise<void> {
    if (records.length === 0 && checkpoints.length === 0) return Promise.resolve();
    return this.call({ op: 'append', records, checkpoints }) as Promise<void>;
  }

  /** Chains and appends on the thread (the records cross as JSON text); resolves with their hashes. */
  appendToChain(batch: ChainBatch, checkpoints: Checkpoint[] = []): Promise<string[]> {
    return this.call({ op: 'appendToChain', batch, checkpoints }) as Promise<string[]>;
  }

  /** appendToChain onto the head the file holds, which must be at `batch.head.seq` (SqliteAccessLogWrites.appendToChainAfter). */
  appendToChainAfter(batch: ChainBatch, checkpoints: Checkpoint[] = []): Promise<{ prevHash: string; hashes: string[] }> {
    return this.call({ op: 'appendToChainAfter', batch, checkpoints }) as Promise<{ prevHash: string; hashes: string[] }>;
  }

  appendCheckpoint(checkpoint: Checkpoint): Promise<void> {
    return this.call({ op: 'checkpoint', checkpoint }) as Promise<void>;
  }

  openChain(head: ChainHead): Promise<void> {
    return this.call({ op: 'openChain', head }) as Promise<void>;
  }

  /** A rate-limiter-flexible limiter whose counters the thread keeps (RateLimiterSQLite there). */
  limiter(spec: RateLimiterSpec): RateLimiterCompatibleAbstract {
    return new ThreadedRateLimiter(this, this.nextLimiterId++, spec);
  }

  /**
   * Runs a limiter method on the thread (ThreadedRateLimiter's transport). The limiter's spec
   * travels once per thread, with its first call; later messages name the limiter only.
   */
  runLimiter(limiterId: number, spec: RateLimiterSpec, method: LimiterMethod, args: unknown[]): Promise<unknown> {
    const at = this.clockGiven ? { at: this.now() } : {};
    if (this.worker && this.specsSent.has(limiterId)) return this.call({ op: 'limiter', limiterId, method, args, ...at });
    const call = this.call({ op: 'limiter', limiterId, spec, method, args, ...at });
    if (this.worker) this.specsSent.add(limiterId);
    return call;
  }

  /** Folds the access records staged in the file into the indexed tables; resolves with how many moved. */
  fold(): Promise<number> {
    return this.call({ op: 'fold' }) as Promise<number>;
  }

  /**
   * Starts the thread if it is not running (and may start): it folds records the event loop
   * staged (worker.ts, housekeeping), which at a low rate may be all the access log writes.
   */
  keepRunning(): void {
    if (!this.worker && !this.closed && this.now() >= this.noSpawnUntil) this.spawn();
  }

  /** Lets every request already made finish, then stops the thread. Later requests fail. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const worker = this.worker;
    if (!worker) return;
    try {
      await this.send(worker, { op: 'close' });
    } finally {
      await worker.terminate();
      this.worker = null;
    }
  }

  private call(call: Call): Promise<unknown> {
    if (this.closed) return Promise.reject(new StoreUnavailableError('SQLite store is closed'));
    if (!this.worker && this.now() < this.noSpawnUntil) return Promise.reject(new StoreUnavailableError('SQLite write thread cannot start', { cause: this.startFailure }));
    return this.send(this.worker ?? this.spawn(), call);
  }

  private send(worker: Worker, call: Call): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      if (this.waiting.size === 0) worker.ref();
      this.waiting.set(id, { resolve, reject });
      this.outbox.push({ ...call, id } as ThreadRequest);
      // A chained batch goes at once: the writer sends it as the previous commit completes, so
      // that the thread commits it while the event loop resumes that commit's requests.
      if (call.op === 'appendToChain' || call.op === 'appendToChainAfter') this.flush();
      else if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(this.flush);
      }
    });
  }

  private readonly flush = (): void => {
    this.flushScheduled = false;
    const batch = this.outbox;
    this.outbox = [];
    // No worker: it stopped after these were queued, and stopping rejected them already.
    if (batch.length && this.worker) this.worker.postMessage(batch);
  };

  private spawn(): Worker {
    const worker = new Worker(workerEntry(import.meta.url), { workerData: this.data, stdout: false, stderr: false });
    this.specsSent = new Set();
    worker.unref();
    let answered = false;
    worker.on('message', (replies: ThreadReply[]) => {
      answered = true;
      for (const reply of replies) this.settle(worker, reply);
    });
    const fail = (cause: unknown) => {
      if (this.worker !== worker) return;
      this.worker = null;
      if (!answered) {
        // It died before answering anything (it cannot load, say): wait before starting another,
        // rather than start one per request.
        this.noSpawnUntil = this.now() + RESPAWN_PAUSE_MS;
        this.startFailure = cause;
      }
      this.outbox = [];
      this.specsSent = new Set();
      const waiting = [...this.waiting.values()];
      this.waiting.clear();
      for (const w of waiting) w.reject(new StoreUnavailableError('SQLite write thread stopped', { cause }));
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`SQLite write thread exited with code ${code}`)));
    this.worker = worker;
    return worker;
  }

  private settle(worker: Worker, reply: ThreadReply): void {
    const w = this.waiting.get(reply.id);
    if (!w) return;
    this.waiting.delete(reply.id);
    if (this.waiting.size === 0) worker.unref();
    // A limiter's answer becomes a RateLimiterRes; anything else (hashes, a count, a chained batch's answer) is as it came.
    if (reply.ok) w.resolve(reply.value && typeof reply.value === 'object' && 'remainingPoints' in reply.value ? revive(reply.value) : reply.value);
    else if ('limited' in reply) w.reject(revive(reply.limited));
    else w.reject(revivedError(reply.error));
  }
}

/**
 * A limiter that forwards every call to the write thread, where a RateLimiterSQLite with the same
 * options answers it. It is "compatible" in rate-limiter-flexible's sense, so wrappers such as
 * RLWrapperTimeouts (with its insurance limiter) and BurstyRateLimiter accept it.
 */
class ThreadedRateLimiter extends RateLimiterCompatibleAbstract {
  declare readonly keyPrefix: string;
  declare blockDuration: number;
  declare execEvenly: boolean;

  constructor(
    private readonly thread: SqliteWriteThread,
    private readonly id: number,
    private readonly spec: RateLimiterSpec,
  ) {
    super();
    // Own properties: the abstract base's accessors for these throw "you have to implement".
    Object.defineProperties(this, {
      keyPrefix: { value: spec.keyPrefix, enumerable: true },
      blockDuration: { value: 0, writable: true, enumerable: true },
      execEvenly: { value: false, writable: true, enumerable: true },
    });
  }

  private run<T>(method: LimiterMethod, args: unknown[]): Promise<T> {
    return this.thread.runLimiter(this.id, this.spec, method, args) as Promise<T>;
  }

  override consume(key: string | number, pointsToConsume = 1, options: Record<string, unknown> = {}): Promise<RateLimiterRes> {
    return this.run('consume', [key, pointsToConsume, options]);
  }
  override penalty(key: string | number, points = 1, options: Record<string, unknown> = {}): Promise<RateLimiterRes> {
    return this.run('penalty', [key, points, options]);
  }
  override reward(key: string | number, points = 1, options: Record<string, unknown> = {}): Promise<RateLimiterRes> {
    return this.run('reward', [key, points, options]);
  }
  override get(key: string | number, options: Record<string, unknown> = {}): Promise<RateLimiterRes | null> {
    return this.run('get', [key, options]);
  }
  override set(key: string | number, points: number, secDuration: number, options: Record<string, unknown> = {}): Promise<RateLimiterRes> {
    return this.run('set', [key, points, secDuration, options]);
  }
  override block(key: string | number, secDuration: number, options: Record<string, unknown> = {}): Promise<RateLimiterRes> {
    return this.run('block', [key, secDuration, options]);
  }
  override delete(key: string | number, options: Record<string, unknown> = {}): Promise<boolean> {
    return this.run('delete', [key, options]);
  }
}

