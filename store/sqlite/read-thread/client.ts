/**
 * The SQLite store's read thread, seen from the store: the auditors' filtered reads of the access
 * log run on a worker thread with a read-only connection of its own. A filter on a value kept only
 * in the record text (sub, jti, clientIp, httpStatus, role, coordinate) reads every record within
 * the other criteria, about a second per 200,000 records here; on the event loop that would stop
 * every request the gateway serves meanwhile.
 *
 * - Started on first use; it keeps the process alive only while a read is asked.
 * - One read at a time, in the order asked (reads hold a snapshot of the WAL; several at once
 *   would only share the CPU the gateway needs).
 * - Each read must be answered within `timeoutMs` of being asked, queueing included. One that is
 *   not is refused with OPERATION_LIMIT_EXCEEDED (limit QUERY_TIME): if it is still waiting it is
 *   dropped; if it is running the thread is told to stop it (a shared slot it reads at every row
 *   the read visits: dsp_in_time, access-log-queries.ts; no message reaches a thread inside
 *   SQLite), and its answer, when it comes, is dropped. The thread is never terminated while it
 *   may be inside SQLite: better-sqlite3 answering into a terminated isolate can abort the whole
 *   process. A statement the row check does not reach runs to its end (CPU, a WAL snapshot), and
 *   the reads behind it wait (and expire) rather than start threads beside it.
 * - A thread that dies fails the read it was running with StoreUnavailableError (fail closed); the
 *   reads behind it go to a new thread.
 */
import { Worker } from 'node:worker_threads';
import type { AccessLogFilter, AccessLogPage, AccessSummary } from '../../../audit/record.js';
import { CodedError, isErrorCode } from '../../../core/errors.js';
import { StoreUnavailableError } from '../../port.js';
import { queryTimeRefusal } from '../access-log-queries.js';
import { revivedError } from '../errors.js';
import { workerEntry } from '../worker-entry.js';
import type { ReadError, ReadReply, ReadRequest, ReadThreadData } from './protocol.js';

/** How long an auditor's filtered read may take, queueing included, before it is refused (ms). */
export const DEFAULT_QUERY_TIMEOUT_MS = 15_000;

type Ask = ReadRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id' | 'deadline'> : never) : never;

interface Job {
  request: ReadRequest;
  resolve(value: unknown): void;
  reject(err: unknown): void;
  /** Cancels the job's time limit. */
  cancel(): void;
  /** Given up on (refused already): its answer, if the thread still gives one, is dropped. */
  dropped?: boolean;
}

/**
 * How long close() waits for a read the thread is on to reach its next row check and end (ms).
 * One still running then (inside a statement the check does not reach) is let go: the thread no
 * longer keeps the process alive, and is terminated once it answers.
 */
const CLOSE_WAIT_MS = 2_000;

export interface ReadThreadOptions {
  /** Default DEFAULT_QUERY_TIMEOUT_MS. */
  timeoutMs?: number;
  /** Runs `expire` once `ms` have passed, and returns its cancel (tests expire reads by hand). Default setTimeout. */
  schedule?: (expire: () => void, ms: number) => () => void;
}

const scheduleTimer = (expire: () => void, ms: number) => {
  const timer = setTimeout(expire, ms);
  return () => clearTimeout(timer);
};

function revived(e: ReadError): unknown {
  if (e.coded && isErrorCode(e.coded.code)) return new CodedError(e.coded.code, e.message, { details: e.coded.details });
  return revivedError(e);
}

export class SqliteReadThread {
  private worker: Worker | null = null;
  private running: Job | null = null;
  private readonly waiting: Job[] = [];
  private nextId = 1;
  private closed = false;
  /** The id of the read the thread is to stop (ThreadData.stop). */
  private readonly stop = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));
  /** Ends close()'s wait for the read the thread is on. */
  private onIdle: (() => void) | null = null;
  private closing: Promise<void> | null = null;

  private readonly timeoutMs: number;
  private readonly schedule: NonNullable<ReadThreadOptions['schedule']>;

  constructor(
    private readonly data: Omit<ReadThreadData, 'stop'>,
    options: ReadThreadOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS;
    this.schedule = options.schedule ?? scheduleTimer;
  }

  queryAccessLogs(filter: AccessLogFilter, page: { first: number; after?: string | null }): Promise<AccessLogPage> {
    return this.ask({ op: 'query', filter, page }) as Promise<AccessLogPage>;
  }

  countAccessLogs(filter: AccessLogFilter): Promise<number> {
    return this.ask({ op: 'count', filter }) as Promise<number>;
  }

  summarizeAccessLogs(filter: AccessLogFilter): Promise<AccessSummary> {
    return this.ask({ op: 'summary', filter }) as Promise<AccessSummary>;
  }

  /**
   * Stops the thread; reads asked and not answered fail with StoreUnavailableError, as do later
   * ones. A read the thread is on is stopped at its next row, and the thread terminated once idle:
   * never while it may be inside SQLite (see CLOSE_WAIT_MS).
   */
  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    this.closed = true;
    const gone = new StoreUnavailableError('SQLite store is closed');
    for (const job of [...(this.running ? [this.running] : []), ...this.waiting.splice(0)]) {
      if (job.dropped) continue;
      job.cancel();
      this.drop(job, gone);
    }
    const worker = this.worker;
    if (!worker) return;
    if (this.running) {
      let cancel = () => {};
      const idle = await new Promise<boolean>((resolve) => {
        this.onIdle = () => resolve(true);
        cancel = this.schedule(() => resolve(false), CLOSE_WAIT_MS);
      });
      cancel();
      this.worker = null;
      if (!idle) {
        // Still inside SQLite: let go, terminated at its answer (or gone with the process).
        worker.unref();
        worker.once('message', () => void worker.terminate());
        return;
      }
    }
    this.worker = null;
    await worker.terminate();
  }

  private ask(request: Ask): Promise<unknown> {
    if (this.closed) return Promise.reject(new StoreUnavailableError('SQLite store is closed'));
    return new Promise((resolve, reject) => {
      // The thread checks the system clock against this as it reads (a statement inside SQLite cannot be stopped from outside).
      const job: Job = { request: { ...request, id: this.nextId++, deadline: Date.now() + this.timeoutMs } as ReadRequest, resolve, reject, cancel: () => {} };
      job.cancel = this.schedule(() => this.expire(job), this.timeoutMs);
      this.waiting.push(job);
      this.next();
    });
  }

  private settle(job: Job, outcome: () => void): void {
    job.cancel();
    outcome();
  }

  /** A read past its time: refused, and dropped if waiting; if running, the thread is told to stop it. */
  private expire(job: Job): void {
    const at = this.waiting.indexOf(job);
    if (at >= 0) this.waiting.splice(at, 1);
    else if (this.running !== job) return;
    this.drop(job, queryTimeRefusal(this.timeoutMs));
  }

  /** Refuses a job now; if the thread is on it, it stops at its next row and its answer is dropped. */
  private drop(job: Job, err: unknown): void {
    job.dropped = true;
    job.reject(err);
    if (this.running === job) Atomics.store(this.stop, 0, job.request.id);
  }

  /** The thread has finished the read it was on (answered, or died). */
  private finished(): void {
    this.running = null;
    this.onIdle?.();
    this.onIdle = null;
  }

  private next(): void {
    if (this.running || this.closed) {
      this.worker?.ref();
      return;
    }
    const job = this.waiting.shift();
    if (!job) {
      this.worker?.unref();
      return;
    }
    this.running = job;
    const worker = this.worker ?? this.spawn();
    worker.ref();
    worker.postMessage(job.request);
  }

  private spawn(): Worker {
    const workerData: ReadThreadData = { ...this.data, stop: this.stop.buffer as SharedArrayBuffer };
    const worker = new Worker(workerEntry(import.meta.url), { workerData });
    this.worker = worker;
    worker.on('message', (reply: ReadReply) => {
      const job = this.running;
      if (this.worker !== worker || !job || job.request.id !== reply.id) return;
      this.finished();
      if (!job.dropped) this.settle(job, () => ('error' in reply ? job.reject(revived(reply.error)) : job.resolve(reply.value)));
      this.next();
    });
    const died = (why: string) => {
      if (this.worker !== worker) return; // stopped on purpose (close)
      this.worker = null;
      const job = this.running;
      this.finished();
      if (job && !job.dropped) this.settle(job, () => job.reject(new StoreUnavailableError(`the SQLite read thread stopped (${why})`)));
      this.next();
    };
    worker.on('error', (err) => died(err.message));
    worker.on('exit', (code) => died(`exit code ${code}`));
    return worker;
  }
}
