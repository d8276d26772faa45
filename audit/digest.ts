/**
 * Client ids are personal (a taxpayer's file) and never stored: the access log keeps a keyed
 * HMAC-SHA256 digest instead. The key is configuration (AUDIT_HMAC_KEY, or created on first start
 * in development), so digests cannot be reversed by hashing every possible `C-nnnnnn` id, yet the
 * gateway (writing) and the audit subgraph (filtering by client) compute the same value.
 */
import { createHmac } from 'node:crypto';
import { LRUCache } from 'lru-cache';

/** Recent digests per key: a practice's clients recur across requests, and a lookup is cheaper than an HMAC. */
const memo = new WeakMap<Buffer, LRUCache<string, string>>();
const MEMO_MAX = 10_000;

/** HMAC-SHA256 hex of the client id under the audit key. */
export function clientDigest(hmacKey: Buffer, clientId: string): string {
  if (hmacKey.length === 0) throw new Error('clientDigest: the audit HMAC key is empty');
  let digests = memo.get(hmacKey);
  if (!digests) memo.set(hmacKey, (digests = new LRUCache<string, string>({ max: MEMO_MAX })));
  let digest = digests.get(clientId);
  if (digest === undefined) {
    digest = createHmac('sha256', hmacKey).update(clientId, 'utf8').digest('hex');
    digests.set(clientId, digest);
  }
  return digest;
}

/** Digests of distinct client ids, sorted so a record does not reveal the order of access. */
export function clientDigests(hmacKey: Buffer, clientIds: Iterable<string>): string[] {
  return [...new Set([...clientIds].map((id) => clientDigest(hmacKey, id)))].sort();
}
