/**
 * What a process does on SIGTERM or SIGINT: drain, then exit 0 (1 when draining failed). One
 * handler for both, installed for the life of the process: a second signal while draining (npm
 * forwarding the terminal's Ctrl-C that the process group already got, an impatient orchestrator)
 * is logged and ignored rather than killing the process half-drained by Node's default action.
 * Apollo Server's own signal handling is off (`stopOnTerminationSignals: false`), so this is the
 * only one. And how a start-up step the operator got wrong ends the process (`orExitOnMistake`).
 */
import type { Logger } from './logger.js';

export interface TerminationSignals {
  /**
   * The drain is known (start-up has finished): a signal that came during start-up drains now,
   * and later ones drain as they come.
   */
  ready(drain: () => Promise<void>): void;
  /** Removes the handlers (tests). */
  dispose(): void;
}

/**
 * Installs the SIGTERM/SIGINT handler before start-up, so a signal that arrives while the gateway
 * is starting (a cancelled rollout, Ctrl-C) no longer kills it between writes (a ledger OPEN
 * without its chain, review s18b 4): the start finishes, then drains and exits.
 */
export function terminationSignals(logger: Logger, exit: (code: number) => void = (code) => process.exit(code)): TerminationSignals {
  let drain: (() => Promise<void>) | null = null;
  let pending: NodeJS.Signals | null = null;
  let draining = false;
  const start = (signal: NodeJS.Signals): void => {
    draining = true;
    logger.info({ signal, pid: process.pid }, 'draining in-flight requests');
    drain!().then(
      () => exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        exit(1);
      },
    );
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    if (draining || pending) {
      logger.warn({ signal }, 'already draining; signal ignored');
      return;
    }
    if (!drain) {
      pending = signal;
      logger.info({ signal, pid: process.pid }, 'stopping once start-up has finished');
      return;
    }
    start(signal);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return {
    ready(d) {
      drain = d;
      if (pending && !draining) start(pending);
    },
    dispose() {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
    },
  };
}

/** terminationSignals with the drain known at once. */
export function drainOnTerminationSignals(drain: () => Promise<void>, logger: Logger, exit: (code: number) => void = (code) => process.exit(code)): void {
  terminationSignals(logger, exit).ready(drain);
}

/**
 * Runs one start-up step whose failure is the operator's to fix (a configuration or a key file it
 * cannot use; `isMistake` says which errors those are, default all): the message is printed in
 * one line and the process exits 2, before anything else opens. Any other error is rethrown.
 */
export async function orExitOnMistake<T>(step: () => T | Promise<T>, isMistake: (err: unknown) => boolean = () => true): Promise<T> {
  try {
    return await step();
  } catch (err) {
    if (!isMistake(err)) throw err;
    console.error((err as Error).message);
    process.exit(2);
  }
}
