import { describe, expect, it } from '@jest/globals';
import { newAccessRecordId, newChainId, timeOfAccessRecordId } from '../../../audit/ids.js';

describe('newAccessRecordId', () => {
  it('is 26 Crockford base32 characters encoding the time', () => {
    const id = newAccessRecordId(1_735_689_600_000);
    expect(id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(timeOfAccessRecordId(id)).toBe(1_735_689_600_000);
  });

  it('is unique and strictly increasing within a millisecond and across time', () => {
    const ids = [...Array.from({ length: 1000 }, () => newAccessRecordId(1_800_000_000_000)), newAccessRecordId(1_800_000_000_001)];
    expect(new Set(ids).size).toBe(ids.length);
    for (let i = 1; i < ids.length; i++) expect(ids[i]! > ids[i - 1]!).toBe(true);
  });

  it('encodes a later time as a text-greater prefix', () => {
    const earlier = newAccessRecordId(2_000_000_000_000);
    const later = newAccessRecordId(2_000_000_086_400);
    expect(later.slice(0, 10) > earlier.slice(0, 10)).toBe(true);
  });

  it('stays increasing when the clock steps back', () => {
    const first = newAccessRecordId(2_100_000_000_000);
    const afterStepBack = newAccessRecordId(2_099_999_999_000);
    expect(afterStepBack > first).toBe(true);
  });
});

describe('newChainId', () => {
  it('names the instance and differs between two writers started together', () => {
    const a = newChainId('gw-1', 1000);
    expect(a.startsWith('gw-1:1000:')).toBe(true);
    expect(newChainId('gw-1', 1000)).not.toBe(a);
  });
});
