/**
 * The quota headers every rate-limited response carries (IETF RateLimit header fields draft,
 * the `RateLimit-Limit` / `RateLimit-Remaining` / `RateLimit-Reset` trio) and `Retry-After` for
 * refusals. Pure: from a rate-limiter-flexible result to header values.
 */
import type { RateLimiterRes } from 'rate-limiter-flexible';

/** Whole seconds until the window resets (ceil, never negative; a key without expiry reports 0). */
function secondsUntilReset(res: RateLimiterRes): number {
  return res.msBeforeNext > 0 ? Math.ceil(res.msBeforeNext / 1000) : 0;
}

/**
 * `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset` (seconds until reset) for a
 * limiter result. `limit` is the sustained quota of the window the result came from.
 */
export function rateLimitHeaders(res: RateLimiterRes, limit: number): Record<string, string> {
  return {
    'RateLimit-Limit': String(limit),
    'RateLimit-Remaining': String(Math.max(0, Math.min(limit, res.remainingPoints))),
    'RateLimit-Reset': String(secondsUntilReset(res)),
  };
}

/**
 * `Retry-After` in whole seconds: rounded up so a client that waits exactly that long is not
 * refused again, and at least 1 so a client never retries in a tight loop.
 */
export function retryAfterSeconds(res: RateLimiterRes): number {
  return Math.max(1, secondsUntilReset(res));
}

/** The headers of a refusal: the RateLimit-* trio plus `Retry-After`. */
export function refusalHeaders(res: RateLimiterRes, limit: number): Record<string, string> {
  return { 'Retry-After': String(retryAfterSeconds(res)), ...rateLimitHeaders(res, limit) };
}
