import { createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { clientDigest, clientDigests } from '../../../audit/digest.js';

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
