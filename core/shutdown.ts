/**
 * What a process does on SIGTERM or SIGINT: drain, then exit 0 (1 when draining failed). One
 * handler for both, installed for the life of the process: a second signal while draining (npm
 * forwarding the terminal's Ctrl-C that the process group already got, an impatient orchestrator)
 * is logged and ignored rather than killing the process half-drained by Node's default action.
 * Apollo Server's own signal handling is off (`stopOnTerminationSignals: false`), so this is the
 * only one.
 */
import type { Logger } from './logger.js';

export function drainOnTerminationSignals(drain: () => Promise<void>, logger: Logger, exit: (code: number) => void = (code) => process.exit(code)): void {
  let draining = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (draining) {
      logger.warn({ signal }, 'already draining; signal ignored');
      return;
    }
    draining = true;
    logger.info({ signal, pid: process.pid }, 'draining in-flight requests');
    drain().then(
      () => exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
