/**
 * Client ids are personal (a taxpayer's file) and never stored: the access log keeps a keyed
 * HMAC-SHA256 digest instead. The key is configuration (AUDIT_HMAC_KEY, or created on first start
 * in development), so digests cannot be reversed by hashing every possible `C-nnnnnn` id, yet the
 * gateway (writing) and the audit subgraph (filtering by client) compute the same value.
 */
import { createHmac } from 'node:crypto';
import { LRUCache } from 'lru-cache';

/**
 * Recent digests per key: a practice's clients recur across requests, and a lookup is cheaper than
 * an HMAC. Bounded in bytes as well as entries, and only ids of a client id's length are kept: ids
 * come from refused requests too (what they attempted is recorded), and an id of 24 KB each kept
 * 10,000 times would hold 240 MB (review s17a F3).
 */
const memo = new WeakMap<Buffer, LRUCache<string, string>>();
const MEMO_MAX = 10_000;
/** Bytes the memo may hold per key: the ids (UTF-16) and digests with their entries' overhead. */
export const DIGEST_MEMO_MAX_BYTES = 4 * 1024 * 1024;
/** Longer ids are digested each time, never kept (a register's client ids are a few characters). */
export const DIGEST_MEMO_MAX_ID_LENGTH = 64;
/** The digest's hex (64 UTF-16 code units) and an entry's bookkeeping, beside the id itself. */
const ENTRY_BYTES = 2 * 64 + 200;

function memoOf(hmacKey: Buffer): LRUCache<string, string> {
  let digests = memo.get(hmacKey);
  if (!digests) memo.set(hmacKey, (digests = new LRUCache<string, string>({ max: MEMO_MAX, maxSize: DIGEST_MEMO_MAX_BYTES, sizeCalculation: (_digest, id) => 2 * id.length + ENTRY_BYTES })));
  return digests;
}

/** HMAC-SHA256 hex of the client id under the audit key. */
export function clientDigest(hmacKey: Buffer, clientId: string): string {
  if (hmacKey.length === 0) throw new Error('clientDigest: the audit HMAC key is empty');
  const kept = clientId.length <= DIGEST_MEMO_MAX_ID_LENGTH;
  const digests = kept ? memoOf(hmacKey) : null;
  let digest = digests?.get(clientId);
  if (digest === undefined) {
    digest = createHmac('sha256', hmacKey).update(clientId, 'utf8').digest('hex');
    digests?.set(clientId, digest);
  }
  return digest;
}

/** What the memo holds for `hmacKey` (for tests and diagnostics). */
export function digestMemoUse(hmacKey: Buffer): { entries: number; bytes: number } {
  const digests = memo.get(hmacKey);
  return { entries: digests?.size ?? 0, bytes: digests?.calculatedSize ?? 0 };
}

/** Digests of distinct client ids, sorted so a record does not reveal the order of access. */
export function clientDigests(hmacKey: Buffer, clientIds: Iterable<string>): string[] {
  return [...new Set([...clientIds].map((id) => clientDigest(hmacKey, id)))].sort();
}
