import { createRestrictedAttemptsDetector } from '../../../../monitoring/detectors/restricted-attempts.js';
import { resolveThresholds } from '../../../../monitoring/detectors/thresholds.js';
import { record, T0 } from '../fixtures.js';

const defaults = resolveThresholds().restrictedAttempts;
const attempt = (productId = 'PRD-A') => record({ productId, decision: 'PARTIAL', reasons: [{ code: 'RESTRICTED_DATA', coordinate: 'Client.restrictedNotes' }], errorCodes: ['RESTRICTED_DATA'] });

describe('restricted data attempts detector', () => {
  test('repeated attempts by one product raise MEDIUM, then HIGH, with the attempts as evidence', () => {
    const d = createRestrictedAttemptsDetector(defaults);
    const attempts = Array.from({ length: defaults.high }, () => attempt());
    const results = attempts.map((r, i) => d.observe(r, T0 + i * 1000));
    expect(results.slice(0, defaults.medium - 1).flat()).toEqual([]);
    expect(results[defaults.medium - 1]![0]).toMatchObject({ detector: 'restricted-attempts', risk: 'MEDIUM', key: 'product:PRD-A', productId: 'PRD-A', observed: defaults.medium });
    const last = results.at(-1)![0]!;
    expect(last).toMatchObject({ risk: 'HIGH', observed: defaults.high });
    expect(last.evidence).toEqual(attempts.map((r) => r.id));
  });

  test('a field refusal recorded only as a reason counts too', () => {
    const d = createRestrictedAttemptsDetector({ ...defaults, medium: 1 });
    expect(d.observe(record({ decision: 'PARTIAL', reasons: [{ code: 'RESTRICTED_DATA', coordinate: 'Client.x' }] }), T0)).toHaveLength(1);
  });

  test('normal traffic and attempts spread over longer than the window stay quiet', () => {
    const d = createRestrictedAttemptsDetector(defaults);
    for (let i = 0; i < 1000; i++) expect(d.observe(record(), T0 + i)).toEqual([]);
    // One attempt every 6 minutes: never 3 within 10 minutes.
    for (let i = 0; i < 20; i++) expect(d.observe(attempt(), T0 + i * 6 * 60_000)).toEqual([]);
  });

  test('attempts of different products are counted apart', () => {
    const d = createRestrictedAttemptsDetector(defaults);
    const out = [attempt('PRD-A'), attempt('PRD-B'), attempt('PRD-C')].flatMap((r, i) => d.observe(r, T0 + i));
    expect(out).toEqual([]);
  });

  test('a flood of 100k distinct products keeps at most maxKeys keys', () => {
    const d = createRestrictedAttemptsDetector({ ...defaults, maxKeys: 500 });
    for (let i = 0; i < 100_000; i++) d.observe(attempt(`PRD-F${i}`), T0 + i);
    expect(d.trackedKeys()).toBeLessThanOrEqual(500);
  });
});
