/**
 * Rate limits (issue 6): per product (tier quota plus burst), per product + org (a share of the
 * product quota), per staff subject, per source IP for unauthenticated requests. The decision is
 * returned, never thrown: `check()` resolves to an allowance or a RATE_LIMITED denial, both with
 * the RateLimit-* headers.
 *
 * Counters live in the active store's limiter (RateLimiterSQLite / RateLimiterMongo) so several
 * gateway processes share one quota. Each store limiter is wrapped in RLWrapperTimeouts with an
 * in-memory `insuranceLimiter`: when the store errors or is slower than `storeTimeoutMs`, the
 * in-memory limiter decides for this process, so a store outage degrades to per-process limits
 * instead of no limits (or refusing everyone).
 *
 * Large quotas are leased (limits/quota-lease.ts): the instance takes points from the store in
 * chunks and spends them in process, so most requests never wait for the store. Small quotas (a
 * chunk under 2 points) stay exact, counted in the store per request.
 */
import { isIP } from 'node:net';
import { RateLimiterMemory, RateLimiterRes, RLWrapperTimeouts, type RateLimiterLike } from 'rate-limiter-flexible';
import type { Config, RateTier } from '../core/config.js';
import type { Denial } from '../core/errors.js';
import type { VerifiedToken } from '../core/verified-token.js';
import { leasedCounter } from './quota-lease.js';
import { rateLimitHeaders, refusalHeaders } from './rate-limit-headers.js';

/** One quota as the store counts it (store/port.ts CounterStore). */
export interface RateLimiterSpec {
  /** Distinguishes limiters sharing one table/collection. */
  keyPrefix: string;
  points: number;
  /** Window in seconds. */
  duration: number;
  /**
   * A count that must not be lost when the store fails over (the DPoP replay cache: a forgotten
   * use is a replay allowed). MongoDB writes it with the client's majority write concern instead
   * of the quotas' `w: 1`; SQLite's counters are in the machine's own file, which no failover
   * concerns, and stay on their connection (a process crash loses nothing; its commits are not
   * fsynced, so a power cut may lose the last counts).
   */
  durable?: boolean;
}

/** Who is counted. Built by the caller from the verified token (or the client IP when there is none). */
export type RateSubject =
  | { kind: 'product'; productId: string; org: string | null; tier: string }
  /** `issuer`: given when the gateway trusts several token issuers, whose subjects are their own (one `sub` at two is two people). */
  | { kind: 'staff'; sub: string; issuer?: string | null }
  | { kind: 'anonymous'; ip: string };

/** The staff quota's subject for a verified token: its `sub`, qualified by its issuer when the authenticator named one (several issuers trusted). */
export function staffSubject(token: Pick<VerifiedToken, 'sub' | 'subjectIssuer'>): Extract<RateSubject, { kind: 'staff' }> {
  return { kind: 'staff', sub: token.sub, issuer: token.subjectIssuer ?? null };
}

export type RateDecision =
  | { allowed: true; headers: Record<string, string> }
  | { allowed: false; denial: Denial; headers: Record<string, string> };

/** Which quota refused; travels in the denial details (and so in logs and `extensions`). */
export type RateScope = 'PRODUCT' | 'PRODUCT_ORG' | 'STAFF' | 'ANONYMOUS';

export interface RateLimits {
  /**
   * Counts a request (`points`, default 1: a batch's operations) on each of the subject's quotas,
   * or on none of them, and decides. Never rejects. The decision comes at once, not as a promise,
   * when every quota answered from its lease in memory (almost every request).
   */
  check(subject: RateSubject, points?: number): RateDecision | Promise<RateDecision>;
}

/** What the factory logs: a pino logger fits. */
export interface RateLimitLogger {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface RateLimitsOptions {
  /** The resolved `rateLimits` configuration (tiers validated at startup; `demo` always exists). */
  config: Readonly<Config['rateLimits']>;
  /** Builds a limiter on the active store: pass `store.createRateLimiter`. Called only in the factory. */
  createStoreLimiter: (spec: RateLimiterSpec) => RateLimiterLike;
  /** Longest wait for the store before the in-memory insurance limiter decides. Default 250 ms. */
  storeTimeoutMs?: number;
  /** Where unknown tiers and unexpected failures are reported. Default: nowhere. */
  logger?: RateLimitLogger;
  /** Clock for the leases, ms. Default Date.now. */
  now?: () => number;
}

/** The limiter methods RLWrapperTimeouts calls on the store's limiter. */
const LIMITER_METHODS = new Set<string | symbol>(['consume', 'penalty', 'reward', 'get', 'set', 'block', 'delete']);

/**
 * The store's limiter with every method rejecting instead of throwing. RLWrapperTimeouts calls the
 * store inside an async Promise executor: a synchronous throw there (a write thread that cannot
 * start, say) rejects a promise nobody listens to, an unhandled rejection that ends the process,
 * and the wrapper answers only when its timeout fires. A Proxy, so rate-limiter-flexible's
 * `instanceof` checks still see the limiter's own class.
 */
function rejectingNotThrowing<T extends object>(limiter: T): T {
  return new Proxy(limiter, {
    get(target, property) {
      const value = Reflect.get(target, property, target) as unknown;
      if (typeof value !== 'function' || !LIMITER_METHODS.has(property)) return value;
      return (...args: unknown[]) => {
        try {
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        } catch (error) {
          return Promise.reject(error);
        }
      };
    },
  });
}

/**
 * The key a source address is counted under: an IPv4 address itself, an IPv6 address by its /64
 * (review s19d). A /64 is the smallest block an IPv6 host is given, and it picks any of its 2^64
 * addresses for each connection at will: counted one by one, every request would open a fresh
 * quota. IPv4-mapped IPv6 counts as the IPv4 address; anything not an address is its own key.
 */
export function sourceQuotaKey(ip: string): string {
  if (isIP(ip) !== 6) return ip;
  const address = ip.split('%', 1)[0]!.toLowerCase();
  if (address.startsWith('::ffff:') && isIP(address.slice(7)) === 4) return address.slice(7);
  const width = (groups: string[]) => groups.reduce((n, g) => n + (g.includes('.') ? 2 : 1), 0);
  const gap = address.indexOf('::');
  const head = (gap < 0 ? address : address.slice(0, gap)).split(':').filter(Boolean);
  const tail = gap < 0 ? [] : address.slice(gap + 2).split(':').filter(Boolean);
  const groups = gap < 0 ? head : [...head, ...Array<string>(Math.max(0, 8 - width(head) - width(tail))).fill('0'), ...tail];
  return `${groups.slice(0, 4).map((g) => parseInt(g, 16).toString(16)).join(':')}::/64`;
}

/** The tier every configuration defines (core/config.ts refuses to start without it). */
export const FALLBACK_TIER = 'demo';
const DEFAULT_STORE_TIMEOUT_MS = 250;

/** One quota's counter: a leased (or exact) store counter, or a sustained one with its burst (see `bursty`). */
interface Consumer {
  consume(key: string, points?: number): Promise<RateLimiterRes>;
  /** The allowance at once from a lease in memory, or null when only `consume` can decide (limits/quota-lease.ts). */
  consumeNow(key: string, points?: number): RateLimiterRes | null;
  /**
   * Gives back the point of an allowance `consume` answered (a request another quota refused), to
   * the sustained window, as before leases. A leased window takes back only its own allowances
   * (limits/quota-lease.ts), so a point the burst gave is not turned into a sustained one.
   */
  refund(key: string, grant: RateLimiterRes): Promise<unknown>;
}

/** One quota: its limiter, the sustained limit it advertises and the scope named on refusal. */
interface Quota {
  consumer: Consumer;
  limit: number;
  scope: RateScope;
}

interface TierQuotas {
  product: Quota;
  /** Absent when the tier's perOrgShare is 1 (the product quota already bounds every org). */
  productOrg: Quota | null;
}

type Step = { quota: Quota; key: string };
type Outcome = { refused: false; res: RateLimiterRes } | { refused: true; res: RateLimiterRes };

export function createRateLimits(options: RateLimitsOptions): RateLimits {
  const { config, createStoreLimiter, logger } = options;
  if (!config.tiers[FALLBACK_TIER]) throw new Error(`rateLimits.tiers must define the "${FALLBACK_TIER}" tier (the fallback for products on an unknown tier)`);
  const storeTimeoutMs = options.storeTimeoutMs ?? DEFAULT_STORE_TIMEOUT_MS;

  /** A store limiter that falls back to memory when the store errors or stalls, leased when the quota is large. */
  function insured(spec: RateLimiterSpec): Consumer {
    const insuranceLimiter = new RateLimiterMemory({ keyPrefix: spec.keyPrefix, points: spec.points, duration: spec.duration });
    const limiter = new RLWrapperTimeouts({ limiter: rejectingNotThrowing(createStoreLimiter(spec)), timeoutMs: storeTimeoutMs, insuranceLimiter });
    return leasedCounter(limiter, { points: spec.points, duration: spec.duration, maxChunk: config.lease, now: options.now });
  }

  /** Sustained quota with a burst allowance on top (the burst window only opens once the sustained one is spent). */
  function bursty(keyPrefix: string, points: number, duration: number, burst: number, burstDuration: number): Consumer {
    const sustained = insured({ keyPrefix, points, duration });
    if (burst <= 0) return sustained;
    const extra = insured({ keyPrefix: `${keyPrefix}-burst`, points: burst, duration: burstDuration });
    // BurstyRateLimiter's rule (it takes only rate-limiter-flexible limiters, and these may be
    // leased): the burst is spent only once the sustained window refused; the answer keeps the
    // sustained figures with the sooner of the two resets. A refund goes to the sustained window
    // (its store's reward when exact, as before; a leased one ignores an allowance the burst gave).
    const consume = (key: string, n?: number) =>
      sustained.consume(key, n).catch((refusal: unknown) => {
        if (!(refusal instanceof RateLimiterRes)) throw refusal;
        const combine = (b: RateLimiterRes) => new RateLimiterRes(refusal.remainingPoints, Math.min(refusal.msBeforeNext, b.msBeforeNext), refusal.consumedPoints, refusal.isFirstInDuration);
        return extra.consume(key, n).then(combine, (b: unknown) => {
          throw b instanceof RateLimiterRes ? combine(b) : b;
        });
      });
    // At once only from the sustained lease: a refusal, and the burst behind it, take `consume`.
    return { consume, consumeNow: sustained.consumeNow, refund: sustained.refund };
  }

  function tierQuotas(name: string, tier: RateTier): TierQuotas {
    const product: Quota = { consumer: bursty(`rl:tier:${name}:product`, tier.points, tier.duration, tier.burst, tier.burstDuration), limit: tier.points, scope: 'PRODUCT' };
    if (tier.perOrgShare >= 1) return { product, productOrg: null };
    // At least one request per window, so a tiny share never locks an org out entirely.
    const orgPoints = Math.max(1, Math.floor(tier.points * tier.perOrgShare));
    const orgBurst = Math.floor(tier.burst * tier.perOrgShare);
    return {
      product,
      productOrg: { consumer: bursty(`rl:tier:${name}:org`, orgPoints, tier.duration, orgBurst, tier.burstDuration), limit: orgPoints, scope: 'PRODUCT_ORG' },
    };
  }

  const tiers = new Map<string, TierQuotas>(Object.entries(config.tiers).map(([name, tier]) => [name, tierQuotas(name, tier)]));
  const staff: Quota = { consumer: insured({ keyPrefix: 'rl:staff', ...config.staff }), limit: config.staff.points, scope: 'STAFF' };
  const anonymous: Quota = { consumer: insured({ keyPrefix: 'rl:anonymous', ...config.anonymous }), limit: config.anonymous.points, scope: 'ANONYMOUS' };
  const warnedTiers = new Set<string>();

  function quotasOfTier(name: string): TierQuotas {
    const found = tiers.get(name);
    if (found) return found;
    // A register entry naming a tier the configuration lacks is an operator mistake: count the
    // product on the modest demo tier rather than not at all, and say so once per tier name.
    if (!warnedTiers.has(name) && warnedTiers.size < 100) {
      warnedTiers.add(name);
      logger?.warn({ tier: name, fallback: FALLBACK_TIER }, 'rate tier not configured; using the fallback tier');
    }
    return tiers.get(FALLBACK_TIER)!;
  }

  function stepsFor(subject: RateSubject): Step[] {
    switch (subject.kind) {
      case 'product': {
        const quotas = quotasOfTier(subject.tier);
        const steps: Step[] = [];
        // The org share is counted first so an org that spent its share does not also drain the
        // quota the product's other orgs depend on.
        if (quotas.productOrg && subject.org !== null) steps.push({ quota: quotas.productOrg, key: JSON.stringify([subject.productId, subject.org]) });
        steps.push({ quota: quotas.product, key: subject.productId });
        return steps;
      }
      case 'staff':
        return [{ quota: staff, key: subject.issuer ? JSON.stringify([subject.issuer, subject.sub]) : subject.sub }];
      case 'anonymous':
        return [{ quota: anonymous, key: sourceQuotaKey(subject.ip) }];
    }
  }

  async function consume(step: Step, points: number): Promise<Outcome> {
    try {
      return { refused: false, res: await step.quota.consumer.consume(step.key, points) };
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) return { refused: true, res: rejection };
      throw rejection;
    }
  }

  /** The decision once every quota allowed: the headers describe the quota closest to refusing, what the client can really still send. */
  function allowed(steps: readonly Step[], outcomes: readonly Outcome[]): RateDecision {
    let tightest: { res: RateLimiterRes; limit: number } | null = null;
    for (let i = 0; i < outcomes.length; i++) {
      const res = outcomes[i]!.res;
      if (!tightest || res.remainingPoints <= tightest.res.remainingPoints) tightest = { res, limit: steps[i]!.quota.limit };
    }
    return { allowed: true, headers: tightest ? rateLimitHeaders(tightest.res, tightest.limit) : {} };
  }

  /** A quota that refused gives back the points the others took, so an org that spent its share does not drain the product's quota. */
  async function settle(steps: readonly Step[], outcomes: readonly Outcome[]): Promise<RateDecision> {
    const refusedAt = outcomes.findIndex((o) => o.refused);
    if (refusedAt < 0) return allowed(steps, outcomes);
    const step = steps[refusedAt]!;
    await Promise.all(steps.map((s, i) => (outcomes[i]!.refused ? null : s.quota.consumer.refund(s.key, outcomes[i]!.res).catch(() => null))));
    const headers = refusalHeaders(outcomes[refusedAt]!.res, step.quota.limit);
    const denial: Denial = {
      code: 'RATE_LIMITED',
      message: 'Rate limit exceeded. Retry after the number of seconds in the Retry-After header.',
      details: { scope: step.quota.scope },
      headers,
    };
    return { allowed: false, denial, headers };
  }

  /**
   * Store failures never get here (the insurance limiter answers for them); this is a bug.
   * Failing open keeps the gateway serving: refusing everyone would turn a limiter bug into an
   * outage, and the per-request checks (identity, product, fields) still apply.
   */
  function failedOpen(error: unknown, subject: RateSubject): RateDecision {
    logger?.error({ err: error, kind: subject.kind }, 'rate limit check failed; request allowed');
    return { allowed: true, headers: {} };
  }

  function check(subject: RateSubject, points = 1): RateDecision | Promise<RateDecision> {
    if (!config.enabled) return { allowed: true, headers: {} };
    try {
      const steps = stepsFor(subject);
      // Each quota from its lease in memory while it can answer at once: no promise, no store.
      const outcomes: Outcome[] = [];
      for (const step of steps) {
        const res = step.quota.consumer.consumeNow(step.key, points);
        if (!res) break;
        outcomes.push({ refused: false, res });
      }
      if (outcomes.length === steps.length) return allowed(steps, outcomes);
      // The rest together: with the SQLite store they travel to the write thread in one message
      // (one round trip, not one per quota). What the leases already gave stays taken, as it
      // would have had these been asked too; a refusal gives it back (settle).
      return Promise.all(steps.slice(outcomes.length).map((step) => consume(step, points)))
        .then((rest) => settle(steps, [...outcomes, ...rest]))
        .catch((error: unknown) => failedOpen(error, subject));
    } catch (error) {
      return failedOpen(error, subject);
    }
  }

  return { check };
}
