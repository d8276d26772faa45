import { RateLimiterRes } from 'rate-limiter-flexible';
import { rateLimitHeaders, refusalHeaders, retryAfterSeconds } from '../../../limits/rate-limit-headers.js';

const res = (remaining: number, msBeforeNext: number) => new RateLimiterRes(remaining, msBeforeNext, 0, false);

describe('rateLimitHeaders', () => {
  it('reports the limit, the remaining points and whole seconds until reset (rounded up)', () => {
    expect(rateLimitHeaders(res(7, 1200), 10)).toEqual({ 'RateLimit-Limit': '10', 'RateLimit-Remaining': '7', 'RateLimit-Reset': '2' });
  });

  it('never reports negative remaining points or more than the limit', () => {
    expect(rateLimitHeaders(res(-3, 500), 10)['RateLimit-Remaining']).toBe('0');
    expect(rateLimitHeaders(res(25, 500), 10)['RateLimit-Remaining']).toBe('10');
  });

  it('reports 0 seconds for a key that never expires (msBeforeNext -1)', () => {
    expect(rateLimitHeaders(res(1, -1), 10)['RateLimit-Reset']).toBe('0');
  });
});

describe('retryAfterSeconds', () => {
  it.each([
    [1, 1],
    [999, 1],
    [1000, 1],
    [1001, 2],
    [59_400, 60],
  ])('rounds %i ms up to %i s', (ms, s) => {
    expect(retryAfterSeconds(res(0, ms))).toBe(s);
  });

  it('is at least 1 second, so clients never retry in a tight loop', () => {
    expect(retryAfterSeconds(res(0, 0))).toBe(1);
    expect(retryAfterSeconds(res(0, -1))).toBe(1);
  });
});

describe('refusalHeaders', () => {
  it('adds Retry-After to the RateLimit-* headers', () => {
    expect(refusalHeaders(res(0, 4500), 3)).toEqual({ 'Retry-After': '5', 'RateLimit-Limit': '3', 'RateLimit-Remaining': '0', 'RateLimit-Reset': '5' });
  });
});
