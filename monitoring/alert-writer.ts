/**
 * Writes alerts and incident work to the store off the request path, one operation at a time.
 * An alert saved again before its last save ran is written once, in its latest state, so a
 * condition seen on every record of a flood costs one write per `delayMs`, not one per record.
 * Failures are logged and retried a few times with backoff, never thrown to the caller: the
 * monitor must not be able to break the gateway's access-log commit path.
 */
import type { Alert } from './incident-model.js';
import type { Logger } from '../core/logger.js';
import type { AlertSink } from './ports.js';

export interface AlertWriterOptions {
  store: AlertSink;
  logger: Logger;
  /** Delay before writing non-urgent alert updates (urgent ones are written at once). Default 250 ms. */
  delayMs?: number;
  /** Attempts per write before it is dropped (and logged). Default 5. */
  maxAttempts?: number;
  /** First retry delay; doubles per failed round up to 30 s. Default 200 ms. */
  retryMs?: number;
}

export interface AlertWriter {
  /** Queues the alert's current state (read when the write runs). */
  saveAlert(alert: Alert, urgent: boolean): void;
  /** Queues a job to run after the pending alert writes. A job that throws is retried. */
  run(name: string, job: () => Promise<void>): void;
  /** Runs everything queued now (including retries) and resolves when done or given up. */
  flush(): Promise<void>;
  pending(): number;
  failures(): number;
  close(): Promise<void>;
}

interface Pending<T> {
  value: T;
  attempts: number;
}

export function createAlertWriter(options: AlertWriterOptions): AlertWriter {
  const delayMs = options.delayMs ?? 250;
  const maxAttempts = options.maxAttempts ?? 5;
  const retryMs = options.retryMs ?? 200;
  const alerts = new Map<string, Pending<Alert>>();
  const jobs: Array<Pending<{ name: string; job: () => Promise<void> }>> = [];
  let timer: NodeJS.Timeout | null = null;
  let timerDue = Number.POSITIVE_INFINITY;
  let draining: Promise<void> | null = null;
  let failedRounds = 0;
  let failureCount = 0;
  let closed = false;

  function schedule(delay: number): void {
    if (closed) return;
    const due = Date.now() + delay;
    if (timer && timerDue <= due) return;
    if (timer) clearTimeout(timer);
    timerDue = due;
    timer = setTimeout(() => {
      timer = null;
      timerDue = Number.POSITIVE_INFINITY;
      void drain();
    }, delay);
    timer.unref();
  }

  function failed(what: Record<string, unknown>, err: unknown, attempts: number): boolean {
    failureCount++;
    const retry = attempts < maxAttempts;
    options.logger.error({ err, ...what, attempts, retry }, retry ? 'monitoring write failed; will retry' : 'monitoring write failed; giving up');
    return retry;
  }

  async function round(): Promise<boolean> {
    let ok = true;
    const batch = [...alerts.entries()];
    alerts.clear();
    for (const [id, p] of batch) {
      const alert = p.value;
      try {
        await options.store.saveAlert({ ...alert, evidence: [...alert.evidence] });
      } catch (err) {
        ok = false;
        // A newer state queued meanwhile supersedes this one (and carries its own attempts).
        if (failed({ alertId: id }, err, p.attempts + 1) && !alerts.has(id)) alerts.set(id, { value: alert, attempts: p.attempts + 1 });
      }
    }
    const runs = jobs.splice(0);
    for (const p of runs) {
      try {
        await p.value.job();
      } catch (err) {
        ok = false;
        if (failed({ job: p.value.name }, err, p.attempts + 1)) jobs.push({ value: p.value, attempts: p.attempts + 1 });
      }
    }
    return ok;
  }

  function drain(): Promise<void> {
    if (draining) return draining;
    draining = (async () => {
      while (alerts.size || jobs.length) {
        if (!(await round())) {
          failedRounds++;
          break;
        }
        failedRounds = 0;
      }
    })().finally(() => {
      draining = null;
      if (alerts.size || jobs.length) schedule(Math.min(30_000, retryMs * 2 ** Math.max(0, failedRounds - 1)));
    });
    return draining;
  }

  return {
    saveAlert(alert, urgent) {
      const existing = alerts.get(alert.id);
      alerts.set(alert.id, { value: alert, attempts: existing?.attempts ?? 0 });
      schedule(urgent ? 0 : delayMs);
    },
    run(name, job) {
      jobs.push({ value: { name, job }, attempts: 0 });
      schedule(0);
    },
    async flush() {
      if (timer) {
        clearTimeout(timer);
        timer = null;
        timerDue = Number.POSITIVE_INFINITY;
      }
      // Each pass retries what failed; every write gives up after maxAttempts, so this ends.
      for (let pass = 0; pass <= maxAttempts && (draining || alerts.size || jobs.length); pass++) {
        await drain();
        if (timer) {
          clearTimeout(timer);
          timer = null;
          timerDue = Number.POSITIVE_INFINITY;
        }
      }
    },
    pending: () => alerts.size + jobs.length,
    failures: () => failureCount,
    async close() {
      await this.flush();
      closed = true;
      if (timer) clearTimeout(timer);
      timer = null;
    },
  };
}
