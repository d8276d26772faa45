/**
 * The chain ledger (record.ts LedgerEntry): how entries are hashed, signed and checked. Every
 * writer appends an OPEN entry before its first record and a CLOSE entry after its final
 * checkpoint; a writer that finds a chain whose writer died records its CLOSE (CRASH) for it. The
 * verifier walks the ledger from seq 1 — the trusted start — and so knows every chain that must
 * exist and how each one ended, whatever has been deleted from the other tables.
 *
 * Like CloudTrail's digest files, each entry names the hash of the one before it and is signed
 * with the gateway key; unlike them, an entry is written the moment a chain opens or ends, not
 * once an hour.
 */
import { createHash } from 'node:crypto';
import { CompactSign, compactVerify, createLocalJWKSet, type JWK } from 'jose';
import type { SigningKey } from '../core/keys.js';
import { canonicalJson } from './canonical-json.js';
import { GENESIS_HASH, type ChainEnding, type LedgerEntry } from './record.js';
import { printable } from './sanitize.js';

/** JWS `typ` of ledger signatures, so no other signature by the gateway key passes as one. */
export const LEDGER_TYP = 'dsp-audit-ledger+jws';

export type LedgerEntryBody = Omit<LedgerEntry, 'hash' | 'signature'>;

/** sha256 hex over the canonical JSON of the entry's body (every field but hash and signature). */
export function ledgerEntryHash(body: LedgerEntryBody): string {
  const { seq, kind, chainId, instanceId, time, hashAlg, ending, prevHash } = body;
  return createHash('sha256').update(canonicalJson({ seq, kind, chainId, instanceId, time, hashAlg: hashAlg ?? null, ending: ending ?? null, prevHash })).digest('hex');
}

/** Hashes and signs an entry's body with the gateway key. */
export async function sealLedgerEntry(key: SigningKey, body: LedgerEntryBody): Promise<LedgerEntry> {
  const hash = ledgerEntryHash(body);
  const signature = await new CompactSign(new TextEncoder().encode(hash)).setProtectedHeader({ alg: key.alg, kid: key.kid, typ: LEDGER_TYP }).sign(key.privateKey);
  return { ...body, hashAlg: body.hashAlg ?? null, ending: body.ending ?? null, hash, signature };
}

/** The body of the entry that follows `last` (or the first entry), at `seq` (by default the one after last's). */
export function nextLedgerBody(last: { seq: number; hash: string } | null, entry: Omit<LedgerEntryBody, 'seq' | 'prevHash'>, seq = (last?.seq ?? 0) + 1): LedgerEntryBody {
  return { ...entry, seq, prevHash: last?.hash ?? GENESIS_HASH };
}

export interface LedgerProblem {
  /** The ledger seq the problem is at. */
  seq: number;
  kind: 'MISSING' | 'ALTERED' | 'REORDERED';
  detail: string;
}

/** What the ledger says about one chain. */
export interface LedgerChain {
  chainId: string;
  instanceId: string;
  opened: LedgerEntry;
  closed: LedgerEntry | null;
  hashAlg: LedgerEntry['hashAlg'];
}

export interface LedgerReading {
  /** Entries checked. */
  entries: number;
  problems: LedgerProblem[];
  /** Every chain an intact entry names, by chain id. */
  chains: Map<string, LedgerChain>;
  /** The last intact entry: what an auditor records as the trusted start of the next verification. */
  head: { seq: number; hash: string } | null;
}

/**
 * Checks the ledger: every entry hashes to its `hash`, is signed by the gateway key, links to its
 * predecessor, and seqs run 1, 2, 3… without gaps. Entries that fail are reported and not used;
 * the chains named by intact entries are returned.
 */
export async function readLedger(entries: readonly LedgerEntry[], publicJwks: { keys: JWK[] }): Promise<LedgerReading> {
  const keySet = createLocalJWKSet(publicJwks);
  const problems: LedgerProblem[] = [];
  const chains = new Map<string, LedgerChain>();
  const sorted = [...entries].sort((a, b) => a.seq - b.seq);
  let expected = 1;
  let previous: LedgerEntry | null = null;
  let head: LedgerReading['head'] = null;
  for (const entry of sorted) {
    // A seq no ledger entry can have (text, a fraction, Infinity; only a hand-made row).
    if (!Number.isSafeInteger(entry.seq) || entry.seq < 1) {
      problems.push({ seq: expected, kind: 'ALTERED', detail: `a ledger entry is stored at seq ${printable(String(entry.seq).slice(0, 80))}, which no entry can have` });
      continue;
    }
    if (entry.seq < expected) {
      problems.push({ seq: entry.seq, kind: 'REORDERED', detail: `ledger seq ${entry.seq} is stored more than once` });
      continue;
    }
    // One problem per gap, however long: a forged entry at seq 2^53 must not list every seq before it.
    if (entry.seq > expected) problems.push({ seq: expected, kind: 'MISSING', detail: entry.seq - 1 > expected ? `no ledger entry is stored at seq ${expected}–${entry.seq - 1}` : `no ledger entry is stored at seq ${expected}` });
    expected = entry.seq + 1;
    let intact: boolean;
    try {
      intact = ledgerEntryHash(entry) === entry.hash;
    } catch {
      intact = false; // a stored value that cannot be hashed at all (1e999, nested too deeply): not what was signed
    }
    if (intact) {
      try {
        const verified = await compactVerify(entry.signature, keySet, { algorithms: ['EdDSA', 'ES256'] });
        intact = verified.protectedHeader.typ === LEDGER_TYP && new TextDecoder().decode(verified.payload) === entry.hash;
      } catch {
        intact = false;
      }
    }
    if (!intact) {
      problems.push({ seq: entry.seq, kind: 'ALTERED', detail: `ledger entry ${entry.seq} (${entry.kind} ${entry.chainId}) does not match its hash or signature` });
      previous = null;
      continue;
    }
    if (previous ? entry.prevHash !== previous.hash : entry.seq === 1 && entry.prevHash !== GENESIS_HASH) {
      problems.push({ seq: entry.seq, kind: 'ALTERED', detail: `ledger entry ${entry.seq} does not link to the entry before it` });
    }
    previous = entry;
    head = { seq: entry.seq, hash: entry.hash };
    if (entry.kind === 'CLOSE') {
      const chain = chains.get(entry.chainId);
      if (chain && !chain.closed) chain.closed = entry;
      else problems.push({ seq: entry.seq, kind: 'ALTERED', detail: `ledger entry ${entry.seq} closes chain ${entry.chainId}, which is ${chain ? 'already closed' : 'not open'}` });
    } else if (chains.has(entry.chainId)) {
      problems.push({ seq: entry.seq, kind: 'ALTERED', detail: `ledger entry ${entry.seq} opens chain ${entry.chainId} a second time` });
    } else {
      // A starting gateway closes every earlier chain of its own instance before it opens its new
      // one (writer.ts settleLedger). An earlier one still open here lost its CLOSE: its end is
      // unrecorded, so a tail cut from it would go unseen.
      if (entry.kind === 'OPEN') {
        for (const earlier of chains.values()) {
          if (earlier.instanceId === entry.instanceId && earlier.closed === null) problems.push({ seq: entry.seq, kind: 'MISSING', detail: `instance ${earlier.instanceId} opened chain ${entry.chainId} at ledger seq ${entry.seq} while its chain ${earlier.chainId} (opened at seq ${earlier.opened.seq}) was never closed: that chain's CLOSE is missing` });
        }
      }
      chains.set(entry.chainId, { chainId: entry.chainId, instanceId: entry.instanceId, opened: entry, closed: null, hashAlg: entry.hashAlg });
    }
  }
  return { entries: sorted.length, problems, chains, head };
}

/**
 * How a chain ended, from what the store holds: its head (last record) and its checkpoints (the
 * last valid-looking one). `how` is SHUTDOWN when the writer closed it, CRASH when a later start
 * found it abandoned.
 */
export function endingOf(how: 'SHUTDOWN' | 'CRASH', head: { lastSeq: number; lastHash: string } | null, checkpoints: readonly { seq: number; n?: number | undefined }[]): ChainEnding {
  const lastSeq = head?.lastSeq ?? 0;
  const last = checkpoints.reduce<{ seq: number; n: number } | null>((best, c) => (best === null || c.seq > best.seq || (c.seq === best.seq && (c.n ?? 0) > best.n) ? { seq: c.seq, n: c.n ?? 0 } : best), null);
  const lastCheckpointSeq = last?.seq ?? 0;
  return { how, lastSeq, lastHash: head?.lastHash ?? GENESIS_HASH, lastCheckpointSeq, lastCheckpointN: last?.n ?? 0, unsignedRecords: Math.max(0, lastSeq - lastCheckpointSeq) };
}
