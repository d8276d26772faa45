import { ConfigError } from '../../../../core/config.js';
import { DEFAULT_DETECTOR_THRESHOLDS, resolveThresholds } from '../../../../monitoring/detectors/thresholds.js';

describe('detector thresholds', () => {
  test('defaults apply when nothing is configured', () => {
    expect(resolveThresholds()).toEqual(DEFAULT_DETECTOR_THRESHOLDS);
  });

  test('configured values override the defaults one by one', () => {
    const t = resolveThresholds({ volume: { bucketMs: 1000, warmupBuckets: 5 }, denialBurst: { medium: 5 } });
    expect(t.volume.bucketMs).toBe(1000);
    expect(t.volume.warmupBuckets).toBe(5);
    expect(t.volume.zHigh).toBe(DEFAULT_DETECTOR_THRESHOLDS.volume.zHigh);
    expect(t.denialBurst.medium).toBe(5);
  });

  test('unknown names and bad values fail together, each listed', () => {
    let error: unknown;
    try {
      resolveThresholds({ volumes: { x: 1 }, volume: { bucketSize: 3, alpha: 2 }, denialBurst: { medium: -1 } });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems).toHaveLength(4);
    expect(problems.some((p) => p.includes('monitoring.detectors.volumes'))).toBe(true);
    expect(problems.some((p) => p.includes('monitoring.detectors.volume.bucketSize'))).toBe(true);
    expect(problems.some((p) => p.includes('monitoring.detectors.volume.alpha'))).toBe(true);
    expect(problems.some((p) => p.includes('monitoring.detectors.denialBurst.medium'))).toBe(true);
  });

  test('a HIGH threshold below its MEDIUM threshold is refused', () => {
    expect(() => resolveThresholds({ restrictedAttempts: { medium: 20 } })).toThrow(ConfigError);
  });
});
