/**
 * Detector thresholds: the documented defaults (docs/monitoring.md lists each one and why) and
 * their merge with `monitoring.detectors` from configuration (`DETECTORS` as JSON, e.g.
 * `{"volume":{"bucketMs":1000,"warmupBuckets":5}}`). An unknown detector or threshold name, or a
 * value out of range, fails at startup with every problem listed: a typo in a threshold must not
 * silently leave the default in force.
 */
import { ConfigError } from '../../core/config.js';

export const DEFAULT_DETECTOR_THRESHOLDS = {
  volume: {
    /** Width of one counting bucket. */
    bucketMs: 10_000,
    /** Weight of the newest bucket in the EWMA mean and variance (0–1]. */
    alpha: 0.05,
    /** Closed buckets a product needs before its baseline is trusted (30 × 10 s = 5 min). */
    warmupBuckets: 30,
    /** z-score of the current bucket against the baseline for a MEDIUM alert. */
    zMedium: 3,
    /** z-score for a HIGH alert. */
    zHigh: 6,
    /** Requests in one bucket that are HIGH regardless of baseline or warm-up (500 req/s over 10 s). */
    absoluteCap: 5_000,
    /**
     * Requests a bucket needs before a z-score counts: a mostly idle product has a baseline near
     * zero, and one user opening the app (a few dozen requests) is not a spike.
     */
    minCount: 50,
    /** Products tracked at once; the least recently seen is forgotten beyond this. */
    maxKeys: 10_000,
  },
  denialBurst: {
    windowMs: 10_000,
    /** DENIED records of one product or one source IP within the window for MEDIUM. */
    medium: 20,
    high: 100,
    /** 1 to count RATE_LIMITED refusals too; 0 (default) leaves floods to the volume detector and rate limits. */
    countRateLimited: 0,
    maxKeys: 10_000,
  },
  enumeration: {
    windowMs: 300_000,
    /** Distinct clients accessed by one product or one org within the window for MEDIUM. */
    distinctMedium: 60,
    /** … for HIGH. */
    distinctHigh: 100,
    /** Requests a product needs in the window before its CLIENT_NOT_AUTHORISED share counts. */
    notAuthorisedMinSamples: 20,
    /** Share (0–1) of a product's requests refused CLIENT_NOT_AUTHORISED for MEDIUM (guessed ids). */
    notAuthorisedShareMedium: 0.3,
    notAuthorisedShareHigh: 0.6,
    /** Distinct clients named by one product refused at the product check (or one source without a valid token) for MEDIUM: software that may not run at all asking for taxpayers. */
    refusedDistinctMedium: 20,
    /** … for HIGH. */
    refusedDistinctHigh: 40,
    maxKeys: 10_000,
  },
  restrictedAttempts: {
    windowMs: 600_000,
    /** Records refused RESTRICTED_DATA for one product within the window for MEDIUM. */
    medium: 3,
    high: 10,
    maxKeys: 10_000,
  },
  uncertifiedDocuments: {
    windowMs: 600_000,
    /** Records of one product whose document is not in its approved manifest, within the window, for MEDIUM. */
    medium: 5,
    high: 50,
    maxKeys: 10_000,
  },
  unusualHours: {
    /** Time since a product was first seen before its hourly profile is trusted (7 days). */
    learningMs: 7 * 86_400_000,
    /** Records a product needs in its profile before it is trusted. */
    minLearningRecords: 200,
    /** An hour (Australia/Sydney) holding at most this share (0–1) of the profile counts as unusual. */
    quietShare: 0.002,
    /** Records in one unusual hour before a LOW alert (one stray request is not a pattern). */
    minCount: 5,
    /** Records in one unusual hour for MEDIUM. */
    mediumCount: 100,
    maxKeys: 10_000,
  },
} as const;

export type DetectorName = keyof typeof DEFAULT_DETECTOR_THRESHOLDS;
export type ThresholdsOf<D extends DetectorName> = { -readonly [K in keyof (typeof DEFAULT_DETECTOR_THRESHOLDS)[D]]: number };
export type DetectorThresholds = { [D in DetectorName]: ThresholdsOf<D> };

/** Thresholds that are shares (0–1]; every other threshold is a positive count or duration (or 0/1 for flags). */
const SHARES = new Set(['alpha', 'quietShare', 'notAuthorisedShareMedium', 'notAuthorisedShareHigh']);
const FLAGS = new Set(['countRateLimited']);

/** Defaults with the overrides applied; throws ConfigError listing every unknown name or bad value. */
export function resolveThresholds(overrides: Readonly<Record<string, Readonly<Record<string, number>>>> = {}): DetectorThresholds {
  const problems: string[] = [];
  const out = {} as Record<string, Record<string, number>>;
  for (const [name, defaults] of Object.entries(DEFAULT_DETECTOR_THRESHOLDS)) out[name] = { ...defaults };
  for (const [name, values] of Object.entries(overrides)) {
    const target = out[name];
    if (!target) {
      problems.push(`DETECTORS (monitoring.detectors.${name}): unknown detector; known: ${Object.keys(DEFAULT_DETECTOR_THRESHOLDS).join(', ')}`);
      continue;
    }
    for (const [key, value] of Object.entries(values)) {
      const path = `monitoring.detectors.${name}.${key}`;
      if (!(key in target)) problems.push(`DETECTORS (${path}): unknown threshold; known: ${Object.keys(target).join(', ')}`);
      else if (typeof value !== 'number' || !Number.isFinite(value)) problems.push(`DETECTORS (${path}): must be a finite number`);
      else if (FLAGS.has(key) ? value !== 0 && value !== 1 : SHARES.has(key) ? !(value > 0 && value <= 1) : !(value > 0)) {
        problems.push(`DETECTORS (${path}): ${FLAGS.has(key) ? 'must be 0 or 1' : SHARES.has(key) ? 'must be in (0, 1]' : 'must be positive'}`);
      } else target[key] = value;
    }
  }
  const t = out as unknown as DetectorThresholds;
  if (t.volume.zHigh < t.volume.zMedium) problems.push('DETECTORS (monitoring.detectors.volume): zHigh must be at least zMedium');
  if (t.denialBurst.high < t.denialBurst.medium) problems.push('DETECTORS (monitoring.detectors.denialBurst): high must be at least medium');
  if (t.enumeration.distinctHigh < t.enumeration.distinctMedium) problems.push('DETECTORS (monitoring.detectors.enumeration): distinctHigh must be at least distinctMedium');
  if (t.enumeration.refusedDistinctHigh < t.enumeration.refusedDistinctMedium) problems.push('DETECTORS (monitoring.detectors.enumeration): refusedDistinctHigh must be at least refusedDistinctMedium');
  if (t.enumeration.notAuthorisedShareHigh < t.enumeration.notAuthorisedShareMedium) problems.push('DETECTORS (monitoring.detectors.enumeration): notAuthorisedShareHigh must be at least notAuthorisedShareMedium');
  if (t.restrictedAttempts.high < t.restrictedAttempts.medium) problems.push('DETECTORS (monitoring.detectors.restrictedAttempts): high must be at least medium');
  if (t.unusualHours.mediumCount < t.unusualHours.minCount) problems.push('DETECTORS (monitoring.detectors.unusualHours): mediumCount must be at least minCount');
  if (problems.length) throw new ConfigError(problems);
  return t;
}
