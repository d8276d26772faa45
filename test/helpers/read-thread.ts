/** Test access to the SQLite store's read thread (store/sqlite/read-thread/client.ts). */
import type { Worker } from 'node:worker_threads';
import type { SqliteReadThread } from '../../store/sqlite/read-thread/client.js';

/** From now on, every worker thread `reads` starts, in order (its private `spawn` wrapped). */
export function threadsOf(reads: SqliteReadThread): Worker[] {
  const threads: Worker[] = [];
  const target = reads as unknown as { spawn(): Worker };
  const spawn = target.spawn.bind(reads);
  target.spawn = () => {
    const worker = spawn();
    threads.push(worker);
    return worker;
  };
  return threads;
}
