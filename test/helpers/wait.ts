/**
 * Polls `condition` every `pollMs` until it holds, for outcomes a test cannot await directly (a
 * store call reached, a retry counted); throws once `timeoutMs` has passed without it.
 */
export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 5000, pollMs = 2): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
