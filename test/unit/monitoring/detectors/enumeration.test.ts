import { createEnumerationDetector } from '../../../../monitoring/detectors/enumeration.js';
import { resolveThresholds } from '../../../../monitoring/detectors/thresholds.js';
import type { AlertCandidate } from '../../../../monitoring/detectors/types.js';
import { badToken, digest, record, T0 } from '../fixtures.js';

const defaults = resolveThresholds().enumeration;

describe('enumeration detector', () => {
  test('a product touching hundreds of distinct clients raises HIGH for the product and the org', () => {
    const d = createEnumerationDetector(defaults);
    let last: AlertCandidate[] = [];
    const records = Array.from({ length: 300 }, (_, i) => record({ clientDigests: [digest(i)] }));
    records.forEach((r, i) => {
      last = d.observe(r, T0 + i * 100);
    });
    const byKey = new Map(last.map((c) => [c.key, c]));
    expect(byKey.get('product:PRD-A')).toMatchObject({ detector: 'enumeration', risk: 'HIGH', productId: 'PRD-A', developerId: 'DEV-A' });
    expect(byKey.get('org:12345679016')).toMatchObject({ risk: 'HIGH' });
    expect(byKey.get('product:PRD-A')!.observed).toBeGreaterThanOrEqual(defaults.distinctHigh);
    const evidence = byKey.get('product:PRD-A')!.evidence;
    expect(evidence.length).toBe(50);
    expect(evidence.at(-1)).toBe(records.at(-1)!.id);
  });

  test('MEDIUM between the two thresholds', () => {
    const d = createEnumerationDetector(defaults);
    let last: AlertCandidate[] = [];
    for (let i = 0; i < defaults.distinctMedium; i++) last = d.observe(record({ clientDigests: [digest(i)] }), T0 + i);
    expect(last.find((c) => c.key === 'product:PRD-A')).toMatchObject({ risk: 'MEDIUM', observed: defaults.distinctMedium });
  });

  test('a practice working through its own few clients all day stays quiet', () => {
    const d = createEnumerationDetector(defaults);
    for (let i = 0; i < 5000; i++) expect(d.observe(record({ clientDigests: [digest(i % 20)] }), T0 + i * 500)).toEqual([]);
  });

  test('distinct clients spread over longer than the window stay quiet', () => {
    const d = createEnumerationDetector(defaults);
    // A new client every 10 s: about 30 per 5-minute window, under the MEDIUM threshold.
    for (let i = 0; i < 500; i++) expect(d.observe(record({ clientDigests: [digest(i)] }), T0 + i * 10_000)).toEqual([]);
  });

  test('a high share of CLIENT_NOT_AUTHORISED (guessed ids) raises HIGH once there are enough samples', () => {
    const d = createEnumerationDetector(defaults);
    const refused = () => record({ decision: 'PARTIAL', clientDigests: [digest(999)], reasons: [{ code: 'CLIENT_NOT_AUTHORISED', coordinate: 'Query.client' }], errorCodes: ['CLIENT_NOT_AUTHORISED'] });
    const out: AlertCandidate[][] = [];
    for (let i = 0; i < defaults.notAuthorisedMinSamples; i++) out.push(d.observe(i % 4 === 0 ? record({ clientDigests: [digest(1)] }) : refused(), T0 + i * 100));
    expect(out.slice(0, -1).flat().filter((c) => c.key.endsWith(':not-authorised'))).toEqual([]);
    const guessed = out.at(-1)!.find((c) => c.key === 'product:PRD-A:not-authorised');
    expect(guessed).toMatchObject({ risk: 'HIGH', productId: 'PRD-A' });
    expect(guessed!.observed).toBeCloseTo(0.75, 2);
    expect(guessed!.evidence.length).toBe(15);
  });

  test('an occasional CLIENT_NOT_AUTHORISED among normal requests stays quiet', () => {
    const d = createEnumerationDetector(defaults);
    for (let i = 0; i < 400; i++) {
      const r = i % 10 === 0 ? record({ clientDigests: [digest(5)], errorCodes: ['CLIENT_NOT_AUTHORISED'] }) : record({ clientDigests: [digest(i % 3)] });
      expect(d.observe(r, T0 + i * 100)).toEqual([]);
    }
  });

  test('a flood of 100k distinct products and orgs keeps at most maxKeys keys', () => {
    const d = createEnumerationDetector({ ...defaults, maxKeys: 1000 });
    for (let i = 0; i < 100_000; i++) d.observe(record({ productId: `PRD-F${i}`, org: `ORG${i}`, clientDigests: [digest(i)] }), T0 + i);
    expect(d.trackedKeys()).toBeLessThanOrEqual(1000);
  });

  test('software refused at the product check naming a few dozen clients raises HIGH on its refused key', () => {
    const d = createEnumerationDetector(defaults);
    let out: ReturnType<typeof d.observe> = [];
    for (let i = 0; i < defaults.refusedDistinctHigh; i++) out = d.observe(record({ decision: 'DENIED', productId: 'PRD-NOBODY', errorCodes: ['PRODUCT_NOT_REGISTERED'], httpStatus: 403, clientDigests: [digest(i)] }), T0 + i);
    expect(out.find((c) => c.key === 'product:PRD-NOBODY:refused')).toMatchObject({ risk: 'HIGH', observed: defaults.refusedDistinctHigh });
    // Below the certified bounds, the ordinary product key stays quiet.
    expect(out.some((c) => c.key === 'product:PRD-NOBODY')).toBe(false);
  });

  test('a caller without a valid token naming many clients raises on its source address', () => {
    const d = createEnumerationDetector(defaults);
    let out: ReturnType<typeof d.observe> = [];
    for (let i = 0; i < defaults.refusedDistinctMedium; i++) out = d.observe({ ...badToken('203.0.113.5'), clientDigests: [digest(i)] }, T0 + i);
    expect(out.find((c) => c.key === 'ip:203.0.113.5:unauthenticated')).toMatchObject({ risk: 'MEDIUM', productId: null });
  });
});
