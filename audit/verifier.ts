/**
 * Verifies a stored hash chain and its signed checkpoints. Pure apart from signature checks
 * (async, jose): the records and checkpoints come in as plain data, a report comes out.
 *
 * What each problem means, chosen so the report points at the seq that was tampered with:
 * - ALTERED (seq k): the record stored at k does not hash to its stored `hash` (a field or the
 *   hash itself was edited), and it is not a record from another position either.
 * - REORDERED (seq k): the record stored at k is intact but was written as another seq (its
 *   content hashes correctly only at that seq); two rows with swapped contents report both seqs.
 *   Records out of seq order in the input, or a seq stored twice, are reported the same way.
 * - MISSING (seq k): no record at k although later records exist (one problem per seq).
 * - BROKEN_LINK (seq k): the record at k is intact but its `prevHash` is not the stored hash of
 *   k-1, i.e. one of the two was rewritten with a recomputed hash (a forger without the key).
 * - CHECKPOINT_SIGNATURE (seq of the checkpoint): the checkpoint's signature does not verify
 *   against the gateway's public keys, or its columns differ from what was signed.
 * - CHECKPOINT_MISMATCH (seq of the checkpoint): a validly signed checkpoint names a hash other
 *   than the one stored at its seq (the chain was rewritten, hashes and all).
 * - TRUNCATED (first missing seq): a validly signed checkpoint, or the chain head, covers records
 *   beyond the last one stored: the tail of the chain was removed.
 * A record already reported (ALTERED, REORDERED) is not used to judge its neighbour's link, so one
 * tampered row yields one problem, not a cascade.
 */
import type { JWK } from 'jose';
import { computeRecordHash } from './chain.js';
import { createCheckpointVerifier } from './checkpoint.js';
import { GENESIS_HASH, type ChainHead, type ChainedAccessRecord, type Checkpoint } from './record.js';

export const PROBLEM_KINDS = ['MISSING', 'ALTERED', 'REORDERED', 'BROKEN_LINK', 'CHECKPOINT_SIGNATURE', 'CHECKPOINT_MISMATCH', 'TRUNCATED'] as const;
export type ProblemKind = (typeof PROBLEM_KINDS)[number];

export interface VerificationProblem {
  seq: number;
  kind: ProblemKind;
  detail: string;
}

export interface VerificationReport {
  chainId: string;
  /** True when no problem was found (and none was omitted). */
  ok: boolean;
  /** Records examined within the range. */
  checked: number;
  problems: VerificationProblem[];
  /** Problems beyond `maxProblems`, counted but not listed. */
  omitted: number;
  fromSeq: number;
  /** Upper bound of the range, or null when open-ended. */
  toSeq: number | null;
  /** The highest seq stored within the range, or null when none. */
  lastSeq: number | null;
  /** Checkpoints within the range whose signature was checked. */
  checkpointsChecked: number;
  /** The highest seq covered by a valid checkpoint (<= toSeq), or null. */
  latestCheckpointSeq: number | null;
}

export interface VerifyChainOptions {
  /** The chain verified (default: the chainId of the first record or checkpoint). */
  chainId?: string;
  /** First seq checked (default 1). A record at fromSeq - 1 in `records` is used only to check the link into the range. */
  fromSeq?: number | null;
  /** Last seq checked (default: open-ended). */
  toSeq?: number | null;
  /** The store's chain head: a lastSeq beyond the last stored record is reported as TRUNCATED (default: none). */
  head?: ChainHead | null;
  /** Report at most this many problems; the rest are counted in `omitted` (default 1000). */
  maxProblems?: number;
  /** Look for a removed tail (default true; verifyStoredChain turns it off for all but its last window). */
  checkTail?: boolean;
}

type Status = 'OK' | 'ALTERED' | 'REORDERED';

/** Which seq each misplaced record was written as, found by following `prevHash` back to an intact record. */
function resolveWrittenSeqs(records: readonly ChainedAccessRecord[], intact: readonly boolean[]): Array<number | null> {
  const byHash = new Map<string, number>();
  records.forEach((r, i) => {
    if (typeof r.hash === 'string' && !byHash.has(r.hash)) byHash.set(r.hash, i);
  });
  const written: Array<number | null | undefined> = records.map((r, i) => (intact[i] ? r.seq : undefined));
  const hashesAt = (index: number, seq: number): boolean => {
    try {
      return computeRecordHash({ ...records[index]!, seq }) === records[index]!.hash;
    } catch {
      return false;
    }
  };
  for (let start = 0; start < records.length; start++) {
    if (written[start] !== undefined) continue;
    // Walk back through predecessors (iteratively: a renumbered chain can be millions long).
    const stack: number[] = [];
    const onStack = new Set<number>();
    let base: number | null = null;
    let cur = start;
    for (;;) {
      stack.push(cur);
      onStack.add(cur);
      const prevHash = records[cur]!.prevHash;
      if (prevHash === GENESIS_HASH) {
        base = 0;
        break;
      }
      const j = byHash.get(prevHash);
      if (j === undefined || onStack.has(j)) {
        base = null;
        break;
      }
      const known = written[j];
      if (known !== undefined) {
        base = known;
        break;
      }
      cur = j;
    }
    for (let k = stack.length - 1; k >= 0; k--) {
      const index = stack[k]!;
      const candidate = base === null ? null : base + 1;
      written[index] = candidate !== null && hashesAt(index, candidate) ? candidate : null;
      base = written[index]!;
    }
  }
  return written.map((w) => (w === undefined ? null : w));
}

function intactAtOwnSeq(record: ChainedAccessRecord): boolean {
  try {
    return computeRecordHash(record) === record.hash;
  } catch {
    return false; // a column that is no longer representable (e.g. NaN) is an alteration
  }
}

/** Verifies records (as stored, ordered by seq) and checkpoints of one chain; see the file comment for the problem kinds. */
export async function verifyChain(
  records: readonly ChainedAccessRecord[],
  checkpoints: readonly Checkpoint[],
  publicJwks: { keys: JWK[] },
  options: VerifyChainOptions = {},
): Promise<VerificationReport> {
  const fromSeq = Math.max(1, options.fromSeq ?? 1);
  const toSeq = options.toSeq ?? null;
  const upper = toSeq ?? Number.POSITIVE_INFINITY;
  const chainId = options.chainId ?? records[0]?.chainId ?? checkpoints[0]?.chainId ?? '';
  const maxProblems = options.maxProblems ?? 1000;
  const problems: VerificationProblem[] = [];
  let omitted = 0;
  const report = (seq: number, kind: ProblemKind, detail: string): void => {
    if (problems.length < maxProblems) problems.push({ seq, kind, detail });
    else omitted += 1;
  };

  const anchor = [...records].reverse().find((r) => r.seq === fromSeq - 1) ?? null;
  const inRange = records.filter((r) => r.seq >= fromSeq && r.seq <= upper);
  const considered = anchor ? [anchor, ...inRange] : inRange;
  const intact = considered.map(intactAtOwnSeq);
  const writtenAs = resolveWrittenSeqs(considered, intact);
  const statusOf = new Map<ChainedAccessRecord, Status>();
  const writtenSeqOf = new Map<ChainedAccessRecord, number | null>();
  considered.forEach((r, i) => {
    const written = writtenAs[i] ?? null;
    writtenSeqOf.set(r, written);
    statusOf.set(r, intact[i] ? 'OK' : written !== null && written !== r.seq ? 'REORDERED' : 'ALTERED');
  });

  let expected = fromSeq;
  let prev: ChainedAccessRecord | null = anchor;
  let checked = 0;
  let lastSeq: number | null = null;
  const bySeq = new Map<number, ChainedAccessRecord>();
  for (const record of inRange) {
    checked += 1;
    if (record.seq < expected) {
      report(record.seq, 'REORDERED', `seq ${record.seq} appears out of order or more than once`);
      continue;
    }
    if (record.seq > expected) {
      const gap = record.seq - expected;
      const listed = Math.max(0, Math.min(gap, maxProblems - problems.length));
      for (let s = expected; s < expected + listed; s++) report(s, 'MISSING', `no record at seq ${s}; seq ${record.seq} follows seq ${expected - 1}`);
      omitted += gap - listed;
    }
    bySeq.set(record.seq, record);
    const status = statusOf.get(record)!;
    if (status === 'ALTERED') {
      report(record.seq, 'ALTERED', 'the stored hash does not match the record content');
    } else if (status === 'REORDERED') {
      report(record.seq, 'REORDERED', `the record stored at seq ${record.seq} was written as seq ${writtenSeqOf.get(record)}`);
    } else if (record.chainId !== chainId) {
      report(record.seq, 'ALTERED', `the record belongs to chain ${record.chainId}`);
    } else if (record.seq === 1 && record.prevHash !== GENESIS_HASH) {
      report(record.seq, 'BROKEN_LINK', 'the first record does not start from the genesis hash');
    } else if (prev && prev.seq === record.seq - 1 && statusOf.get(prev) === 'OK' && prev.hash !== record.prevHash) {
      report(record.seq, 'BROKEN_LINK', `prevHash does not match the stored hash of seq ${prev.seq}`);
    }
    prev = record;
    expected = record.seq + 1;
    lastSeq = record.seq;
  }

  const verify = createCheckpointVerifier(publicJwks);
  let checkpointsChecked = 0;
  let latest: Checkpoint | null = null;
  const ours = checkpoints.filter((c) => c.chainId === chainId && c.seq <= upper && (c.seq >= fromSeq || (c.seq === 0 && fromSeq === 1)));
  for (const checkpoint of ours) {
    checkpointsChecked += 1;
    const verdict = await verify(checkpoint);
    if (!verdict.ok) {
      report(checkpoint.seq, 'CHECKPOINT_SIGNATURE', `checkpoint of ${checkpoint.time} does not verify (${verdict.reason})`);
      continue;
    }
    if (!latest || checkpoint.seq > latest.seq) latest = checkpoint;
    const stored = bySeq.get(checkpoint.seq);
    if (checkpoint.seq === 0 ? checkpoint.hash !== GENESIS_HASH : stored !== undefined && statusOf.get(stored) === 'OK' && stored.hash !== checkpoint.hash) {
      report(checkpoint.seq, 'CHECKPOINT_MISMATCH', `checkpoint of ${checkpoint.time} names a different hash than the one stored at seq ${checkpoint.seq}`);
    }
  }

  if (options.checkTail ?? true) {
    const lastStored = lastSeq ?? fromSeq - 1;
    const headSeq = options.head && options.head.chainId === chainId ? Math.min(options.head.lastSeq, upper) : null;
    if (latest && latest.seq > lastStored) {
      report(lastStored + 1, 'TRUNCATED', `a signed checkpoint of ${latest.time} covers seq ${latest.seq}; the last stored record is seq ${lastSeq ?? 'none'}`);
    } else if (headSeq !== null && headSeq > lastStored) {
      report(lastStored + 1, 'TRUNCATED', `the chain head says seq ${headSeq}; the last stored record is seq ${lastSeq ?? 'none'}`);
    }
  }

  return {
    chainId,
    ok: problems.length === 0 && omitted === 0,
    checked,
    problems,
    omitted,
    fromSeq,
    toSeq,
    lastSeq,
    checkpointsChecked,
    latestCheckpointSeq: latest ? latest.seq : null,
  };
}
