import { createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { clientDigest, clientDigests, DIGEST_MEMO_MAX_BYTES, DIGEST_MEMO_MAX_ID_LENGTH, digestMemoUse } from '../../../audit/digest.js';

describe('clientDigest', () => {
  const key = randomBytes(32);

  it('is the HMAC-SHA256 hex of the client id under the key', () => {
    expect(clientDigest(key, 'C-000001')).toBe(createHmac('sha256', key).update('C-000001').digest('hex'));
  });

  it('is stable for one key and differs between keys and ids', () => {
    expect(clientDigest(key, 'C-000001')).toBe(clientDigest(Buffer.from(key), 'C-000001'));
    expect(clientDigest(key, 'C-000001')).not.toBe(clientDigest(randomBytes(32), 'C-000001'));
    expect(clientDigest(key, 'C-000001')).not.toBe(clientDigest(key, 'C-000002'));
  });

  it('never contains the client id', () => {
    expect(clientDigest(key, 'C-000001')).not.toContain('000001');
  });

  it('keeps its memo within its byte bound, and never keeps an id longer than a client id (refused requests name ids too)', () => {
    const memoKey = randomBytes(32);
    const long = (i: number) => `C-${i}-`.padEnd(24_000, 'x');
    for (let i = 0; i < 50; i++) expect(clientDigest(memoKey, long(i))).toBe(createHmac('sha256', memoKey).update(long(i)).digest('hex'));
    expect(digestMemoUse(memoKey)).toEqual({ entries: 0, bytes: 0 });
    const longest = (i: number) => `C-${i}-`.padEnd(DIGEST_MEMO_MAX_ID_LENGTH, 'x');
    for (let i = 0; i < 10_000; i++) clientDigest(memoKey, longest(i));
    const use = digestMemoUse(memoKey);
    expect(use.bytes).toBeLessThanOrEqual(DIGEST_MEMO_MAX_BYTES);
    expect(use.entries).toBeGreaterThan(1000);
    expect(use.entries).toBeLessThan(10_000);
    expect(clientDigest(memoKey, 'C-000001')).toBe(createHmac('sha256', memoKey).update('C-000001').digest('hex'));
  });

  it('refuses an empty key', () => {
    expect(() => clientDigest(Buffer.alloc(0), 'C-000001')).toThrow();
  });

  it('digests a list into distinct, sorted digests', () => {
    const list = clientDigests(key, ['C-000002', 'C-000001', 'C-000002']);
    expect(list).toHaveLength(2);
    expect([...list].sort()).toEqual(list);
    expect(list).toContain(clientDigest(key, 'C-000001'));
  });
});
