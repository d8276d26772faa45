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
 *   dropped; if it is running the thread is stopped, and the next read starts a new one once it
 *   has exited. terminate() cannot interrupt SQLite, so the thread also ends the statement itself:
 *   each read carries its deadline and checks it at every row it visits (dsp_in_time,
 *   access-log-queries.ts). A stopped thread still inside a statement that check does not reach
 *   runs it to the end (CPU, a WAL snapshot); a new thread beside it would let reads past their
 *   time pile up threads (one per refusal), so the reads behind it wait (and expire) instead.
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
}

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
  /** A thread stopped past a read's time that has not exited yet (it may still be inside SQLite): no new one starts meanwhile. */
  private stopping: Promise<void> | null = null;

  private readonly timeoutMs: number;
  private readonly schedule: NonNullable<ReadThreadOptions['schedule']>;

  constructor(
    private readonly data: ReadThreadData,
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

  /** Stops the thread; reads asked and not answered fail with StoreUnavailableError, as do later ones. */
  async close(): Promise<void> {
    this.closed = true;
    const gone = new StoreUnavailableError('SQLite store is closed');
    for (const job of [...(this.running ? [this.running] : []), ...this.waiting.splice(0)]) this.settle(job, () => job.reject(gone));
    this.running = null;
    const worker = this.worker;
    this.worker = null;
    await Promise.all([worker?.terminate(), this.stopping]);
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

  /** A read past its time: dropped if waiting; if running, the thread is stopped with it. */
  private expire(job: Job): void {
    const refused = queryTimeRefusal(this.timeoutMs);
    const at = this.waiting.indexOf(job);
    if (at >= 0) {
      this.waiting.splice(at, 1);
      job.reject(refused);
      return;
    }
    if (this.running !== job) return;
    this.running = null;
    const worker = this.worker;
    this.worker = null;
    job.reject(refused);
    if (worker) {
      const stopping: Promise<void> = worker
        .terminate()
        .catch(() => 0)
        .then(() => {
          if (this.stopping === stopping) this.stopping = null;
          this.next();
        });
      this.stopping = stopping;
    }
    this.next();
  }

  private next(): void {
    if (this.running || this.closed || this.stopping) {
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
    const worker = new Worker(workerEntry(import.meta.url), { workerData: this.data });
    this.worker = worker;
    worker.on('message', (reply: ReadReply) => {
      const job = this.running;
      if (this.worker !== worker || !job || job.request.id !== reply.id) return;
      this.running = null;
      this.settle(job, () => ('error' in reply ? job.reject(revived(reply.error)) : job.resolve(reply.value)));
      this.next();
    });
    const died = (why: string) => {
      if (this.worker !== worker) return; // stopped on purpose (a read past its time, close)
      this.worker = null;
      const job = this.running;
      this.running = null;
      if (job) this.settle(job, () => job.reject(new StoreUnavailableError(`the SQLite read thread stopped (${why})`)));
      this.next();
    };
    worker.on('error', (err) => died(err.message));
    worker.on('exit', (code) => died(`exit code ${code}`));
    return worker;
  }
}
