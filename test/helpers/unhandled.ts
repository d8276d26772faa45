/** One turn of the event loop (its I/O callbacks and microtasks). */
export const turn = (): Promise<void> => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Runs `run` and two more turns, so a rejection nobody handles surfaces inside the test: jest fails
 * the test on it (and a worker without jest's handler would end). The listener records any that
 * reach this process's own handlers too.
 */
export async function unhandledRejectionsDuring(run: () => Promise<unknown>): Promise<unknown[]> {
  const seen: unknown[] = [];
  const listener = (reason: unknown) => void seen.push(reason);
  process.on('unhandledRejection', listener);
  try {
    await run();
    await turn();
    await turn();
  } finally {
    process.off('unhandledRejection', listener);
  }
  return seen;
}
