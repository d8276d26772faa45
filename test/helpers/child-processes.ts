/**
 * This process's child processes, read from /proc (Linux), for tests that must hold the event
 * loop until a child has exited: its exit and its last IPC message then wait side by side.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** This process's child processes (Linux: /proc), with whether each has exited (a zombie: not yet reaped). */
export function childrenOfThisProcess(): Map<number, boolean> {
  const found = new Map<number, boolean>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(ppid) === process.pid) found.set(Number(entry), state === 'Z');
    } catch {
      /* gone meanwhile */
    }
  }
  return found;
}

/** Blocks (the event loop does not run) until a child not in `before` has exited, for at most 30 s. */
export function waitForExitedChild(before: Map<number, boolean>): void {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let tries = 0; tries < 6_000; tries++) {
    for (const [pid, exited] of childrenOfThisProcess()) if (exited && !before.has(pid)) return;
    Atomics.wait(pause, 0, 0, 5);
  }
  throw new Error('no new child process exited');
}
