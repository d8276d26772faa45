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
 * - DUPLICATED (seq k): an intact record stored more than once at its own seq, copy for copy
 *   (MongoDB only: SQLite's unique key refuses it), which every query and count lists twice.
 * - MISSING (seq k): no record at k although later records exist (one problem per seq).
 * - BROKEN_LINK (seq k): the record at k is intact but its `prevHash` is not the stored hash of
 *   k-1, i.e. one of the two was rewritten with a recomputed hash (a forger without the key).
 * - CHECKPOINT_SIGNATURE (seq of the checkpoint): the checkpoint's signature does not verify
 *   against the gateway's public keys, or its columns differ from what was signed.
 * - CHECKPOINT_MISMATCH (seq of the checkpoint, or of the chain's end): a validly signed checkpoint,
 *   or the ledger's record of how the chain ended, names a hash other
 *   than the one stored at its seq (the chain was rewritten, hashes and all).
 * - TRUNCATED (first missing seq, to the last one known): a validly signed checkpoint, the
 *   ledger's record of how the chain ended, or the chain head covers records beyond the last one
 *   stored: the tail of the chain was removed.
 * - FORGED (seq k): the record at k was hashed without the audit key (its plain SHA-256 matches
 *   but its keyed hash does not), or it was stored after the ledger closed the chain: someone
 *   wrote it who is not the gateway.
 * - ALTERED also covers the stored filter copies (indexed columns): a copy that differs from the
 *   hashed record is reported at its seq even when the record itself is intact.
 * - CHECKPOINT_MISSING (seq of the checkpoint after the gap): a numbered checkpoint is absent (a
 *   gap in 1, 2, 3…), or the ledger says the chain's last checkpoint was a later one.
 * A record already reported (ALTERED, REORDERED) is not used to judge its neighbour's link, so one
 * tampered row yields one problem, not a cascade.
 */
import type { JWK } from 'jose';
import { computeRecordHash } from './chain.js';
import { createCheckpointVerifier } from './checkpoint.js';
import { GENESIS_HASH, indexedColumnsOf, type ChainEnding, type ChainHead, type ChainedAccessRecord, type Checkpoint, type IndexedColumns } from './record.js';

export const PROBLEM_KINDS = ['MISSING', 'ALTERED', 'REORDERED', 'DUPLICATED', 'FORGED', 'BROKEN_LINK', 'CHECKPOINT_SIGNATURE', 'CHECKPOINT_MISMATCH', 'CHECKPOINT_MISSING', 'TRUNCATED', 'CHAIN_MISSING'] as const;
export type ProblemKind = (typeof PROBLEM_KINDS)[number];

export interface VerificationProblem {
  /** The first seq concerned. */
  seq: number;
  /** The last seq concerned (equal to `seq` for a single record). */
  toSeq: number;
  kind: ProblemKind;
  detail: string;
}

/** The newest signed checkpoint the chain can be trusted up to (before its first problem). */
export interface TrustedCheckpoint {
  seq: number;
  n: number | null;
  time: string;
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
  /** The last valid checkpoint before the first problem (or the latest, when there is none). */
  lastTrustedCheckpoint: TrustedCheckpoint | null;
}


/** Which seq each misplaced record was written as, found by following `prevHash` back to an intact record. */
function resolveWrittenSeqs(records: readonly ChainedAccessRecord[], intact: readonly boolean[], key: Buffer | null): Array<number | null> {
  const byHash = new Map<string, number>();
  records.forEach((r, i) => {
    if (typeof r.hash === 'string' && !byHash.has(r.hash)) byHash.set(r.hash, i);
  });
  const written: Array<number | null | undefined> = records.map((r, i) => (intact[i] ? r.seq : undefined));
  const hashesAt = (index: number, seq: number): boolean => {
    try {
      return computeRecordHash({ ...records[index]!, seq }, key) === records[index]!.hash;
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

function intactAtOwnSeq(record: ChainedAccessRecord, key: Buffer | null): boolean {
  try {
    return computeRecordHash(record, key) === record.hash;
  } catch {
    return false; // a column that is no longer representable (e.g. NaN) is an alteration
  }
}

/** A keyed chain's record whose hash is the plain SHA-256 of its content: made by someone without the key. */
function hashedWithoutKey(record: ChainedAccessRecord, key: Buffer | null): boolean {
  if (!key) return false;
  try {
    return computeRecordHash(record, null) === record.hash;
  } catch {
    return false;
  }
}

const INDEXED_KEYS = ['timeMs', 'productId', 'developerId', 'org', 'decision', 'operationName', 'errorCodes', 'clientDigests'] as const;

/** Which stored filter copies differ from what the record says. */
function divergentColumns(stored: IndexedColumns, record: ChainedAccessRecord): string[] {
  const expected = indexedColumnsOf(record);
  return INDEXED_KEYS.filter((k) => JSON.stringify(stored[k]) !== JSON.stringify(expected[k]));
}

/** What is wrong with a record's stored copies (and its stored text), for one ALTERED problem; null when nothing. */
function storedCopyProblem(stored: IndexedColumns | undefined, record: ChainedAccessRecord): string | null {
  if (!stored) return 'the record has no stored filter row';
  const parts: string[] = [];
  let differing: string[];
  try {
    differing = divergentColumns(stored, record);
  } catch {
    // A field of another type than the gateway writes (a list stored as `false`, which hashes as
    // an empty list): its filter copies cannot even be computed.
    return stored.storedForm ?? 'the record holds a field of another type than the gateway writes';
  }
  if (differing.length) parts.push(`the stored filter column${differing.length === 1 ? '' : 's'} ${differing.join(', ')} differ${differing.length === 1 ? 's' : ''} from the hashed record`);
  if (stored.storedForm) parts.push(stored.storedForm);
  const malformed = [...new Set(stored.invalidText ?? [])].filter((k) => !differing.includes(k));
  if (malformed.length) parts.push(`the stored bytes of ${malformed.join(', ')} are not well-formed UTF-8 text: they read as the hashed record, but filters compare bytes and miss it`);
  return parts.length ? parts.join('; ') : null;
}

/**
 * Which elements belong to EVERY longest strictly increasing subsequence. The others are out of
 * place: for two swapped rows both are (whichever of them is taken as the misplaced one, the
 * other is then out of order too), while rows merely around a deleted one are not.
 */
function inEveryLongestIncreasingRun(values: readonly number[]): boolean[] {
  const lengthsEndingAt = (xs: readonly number[]): number[] => {
    const tails: number[] = [];
    return xs.map((x) => {
      let lo = 0;
      let hi = tails.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (tails[mid]! < x) lo = mid + 1;
        else hi = mid;
      }
      tails[lo] = x;
      return lo + 1;
    });
  };
  const ending = lengthsEndingAt(values);
  // Longest increasing run starting at i = longest decreasing run ending at i in the reversed list.
  const starting = lengthsEndingAt([...values].reverse().map((v) => -v)).reverse();
  const longest = ending.reduce((max, n) => Math.max(max, n), 0);
  const inSome = values.map((_, i) => ending[i]! + starting[i]! - 1 === longest);
  const perLength = new Map<number, number>();
  inSome.forEach((yes, i) => {
    if (yes) perLength.set(ending[i]!, (perLength.get(ending[i]!) ?? 0) + 1);
  });
  return inSome.map((yes, i) => yes && perLength.get(ending[i]!) === 1);
}

export interface VerifyChainOptions {
  /** The chain verified (default: the chainId of the first record or checkpoint). */
  chainId?: string;
  /** First seq of the range the records were read for (default 1). */
  fromSeq?: number | null;
  /** Last seq of that range (default: open-ended). */
  toSeq?: number | null;
  /** The stored row at fromSeq - 1, used only to check the link into the range (default none). */
  anchor?: ChainedAccessRecord | null;
  /** The store's chain head: a lastSeq beyond the last stored record is reported as TRUNCATED (default: none). */
  head?: ChainHead | null;
  /** Report at most this many problems; the rest are counted in `omitted` (default 1000). */
  maxProblems?: number;
  /** Look for a removed tail (default true; verifyStoredChain turns it off for all but its last window). */
  checkTail?: boolean;
  /** The chain key (keyed chains); null verifies plain SHA-256 hashes (chains from before keyed hashes). Default null. */
  key?: Buffer | null;
  /** How the ledger says the chain ended (null while it is open). */
  ending?: ChainEnding | null;
  /** The stored filter copies of the records read, to compare with the records (default: not checked). */
  indexed?: readonly IndexedColumns[];
  /**
   * A range verification (toSeq given): the store holds a record or a validly signed checkpoint
   * past toSeq, so every seq up to toSeq was written, whatever the (unsigned) chain head says.
   */
  storedPast?: boolean;
}

/**
 * Verifies one chain. `records` are the rows stored for [fromSeq, toSeq], in the store's seq
 * order, exactly as read (an adapter may return each record's own `seq` or the row's seq column:
 * both are handled). See the file comment for the problem kinds.
 */
export async function verifyChain(
  read: readonly ChainedAccessRecord[],
  checkpoints: readonly Checkpoint[],
  publicJwks: { keys: JWK[] },
  options: VerifyChainOptions = {},
): Promise<VerificationReport> {
  const fromSeq = Math.max(1, options.fromSeq ?? 1);
  const toSeq = options.toSeq ?? null;
  const upper = toSeq ?? Number.POSITIVE_INFINITY;
  const chainId = options.chainId ?? read[0]?.chainId ?? checkpoints[0]?.chainId ?? '';
  const maxProblems = options.maxProblems ?? 1000;
  const key = options.key ?? null;
  const found: VerificationProblem[] = [];
  let omitted = 0;
  const report = (seq: number, kind: ProblemKind, detail: string, toSeq = seq): void => {
    found.push({ seq, toSeq, kind, detail });
  };
  // A record whose own seq is not a whole number has no position to be judged at (and a problem
  // at such a seq could not be reported). With the filter rows given, each is accounted for by
  // its row instead: SQLite's row says so (storedForm), MongoDB lists it as unplaced. A record
  // neither accounts for is still reported, at the start of the range.
  const records = options.indexed ? read.filter((r) => Number.isSafeInteger(r.seq)) : read;
  const unplacedHere = read.length - records.length;

  const anchor = options.anchor && options.anchor.seq === fromSeq - 1 && intactAtOwnSeq(options.anchor, key) ? options.anchor : null;
  const considered = anchor ? [anchor, ...records] : [...records];
  const intactAll = considered.map((r) => intactAtOwnSeq(r, key));
  const writtenAll = resolveWrittenSeqs(considered, intactAll, key);
  const offset = anchor ? 1 : 0;
  const intact = intactAll.slice(offset);
  const written = writtenAll.slice(offset);

  // Rows come in the store's seq order. When their seq values rise strictly, each record's seq is
  // its position. When they do not, the adapter returned records' own seq fields and contents
  // were moved between rows. A record is then out of place when it sits where the sorted order
  // would not put it AND outside every longest in-order run: the first test alone would blame
  // every row after one record moved far away, the second alone the innocent middle row of
  // [8, 9, 10] swapped into [10, 9, 8]. A seq stored a second time is out of place too.
  const positionsKnown = records.every((r, i) => i === 0 || r.seq > records[i - 1]!.seq);
  const keys = records.map((r, i) => written[i] ?? r.seq);
  let outOfPlace: boolean[] | null = null;
  if (!positionsKnown) {
    const sorted = [...keys].sort((a, b) => a - b);
    const inEveryRun = inEveryLongestIncreasingRun(keys);
    const seen = new Set<number>();
    outOfPlace = keys.map((k, i) => {
      const repeated = seen.has(k);
      seen.add(k);
      return repeated || (k !== sorted[i] && !inEveryRun[i]);
    });
  }

  const okBySeq = new Map<number, ChainedAccessRecord>();
  if (anchor) okBySeq.set(anchor.seq, anchor);
  const present = new Set<number>();
  records.forEach((record, i) => {
    const w = written[i] ?? null;
    const slot = positionsKnown ? record.seq : keys[i]!;
    if (slot >= fromSeq && slot <= upper) present.add(slot);
    if (w === null) {
      if (hashedWithoutKey(record, key)) report(slot, 'FORGED', 'the record was hashed without the audit key: not written by the gateway');
      else report(slot, 'ALTERED', 'the stored hash does not match the record content');
    } else if (options.ending && w > options.ending.lastSeq) {
      // A crashed chain's end is what the next start found linked and intact: a record tampered
      // with before that start ends it early, and the gateway's own records after it land here.
      const why = options.ending.how === 'CRASH' ? `; it hashes under the audit key, so someone holding that key wrote it, or the record at seq ${options.ending.lastSeq + 1} was already altered when a later start recorded this end` : '';
      report(w, 'FORGED', `the record was stored after the chain ended at seq ${options.ending.lastSeq} (${options.ending.how})${why}`);
    } else if (positionsKnown && !intact[i]) {
      report(slot, 'REORDERED', `the record stored at seq ${slot} was written as seq ${w}`);
    } else if (outOfPlace?.[i]) {
      report(w, 'REORDERED', `the record written as seq ${w} is stored out of order`);
    } else if (!intact[i]) {
      report(w, 'ALTERED', `the record written as seq ${w} is stored with seq ${record.seq}`);
    } else if (record.chainId !== chainId) {
      report(w, 'ALTERED', `the record belongs to chain ${record.chainId}`);
    } else {
      okBySeq.set(w, record);
    }
  });
  const checked = records.length;

  // The filter copies of every record that is itself intact must say what the record says.
  if (options.indexed) {
    // Every filter row of a seq: MongoDB keeps no unique key on it, and readChain returns an exact
    // copy of a record (a retried write) once, so a copy with other filter fields must be judged too.
    const bySeq = new Map<number, IndexedColumns[]>();
    for (const c of options.indexed) {
      const rows = bySeq.get(c.seq);
      if (rows) rows.push(c);
      else bySeq.set(c.seq, [c]);
    }
    for (const [seq, record] of okBySeq) {
      if (record === anchor) continue;
      const rows = bySeq.get(seq) ?? [undefined];
      const problem = rows.map((stored) => storedCopyProblem(stored, record)).find((p) => p !== null) ?? null;
      if (problem) {
        okBySeq.delete(seq);
        report(seq, 'ALTERED', problem);
      } else if (rows.length > 1) {
        // Exact copies (MongoDB's time-series collection holds no unique key on chainId + seq; a
        // copy is a forgery, or a retried write that raced a slow one): readChain returns the
        // record once, but every query, count and summary of the auditors' API lists each copy.
        report(seq, 'DUPLICATED', `seq ${seq} is stored ${rows.length} times: the auditors' queries, counts and summaries list this record ${rows.length} times`);
      }
    }
  }

  // Rows whose text the gateway did not write and that hold no record the checks above could
  // place (no whole-number seq of its own): ALTERED at the row's seq.
  let rowsAccounted = 0;
  for (const row of options.indexed ?? []) {
    if (!row.storedForm || present.has(row.seq) || row.seq < fromSeq || row.seq > upper) continue;
    present.add(row.seq);
    rowsAccounted += 1;
    report(row.seq, 'ALTERED', row.storedForm);
  }
  if (unplacedHere > rowsAccounted) report(fromSeq, 'ALTERED', `${unplacedHere - rowsAccounted} record${unplacedHere - rowsAccounted === 1 ? '' : 's'} read for this range hold${unplacedHere - rowsAccounted === 1 ? 's' : ''} a seq that is not a whole number`);

  for (const [seq, record] of okBySeq) {
    if (record === anchor) continue;
    if (seq === 1) {
      if (record.prevHash !== GENESIS_HASH) report(seq, 'BROKEN_LINK', 'the first record does not start from the genesis hash');
      continue;
    }
    const prev = okBySeq.get(seq - 1);
    if (prev && prev.hash !== record.prevHash) report(seq, 'BROKEN_LINK', `prevHash does not match the stored hash of seq ${seq - 1}`);
  }

  let lastSeq: number | null = null;
  for (const seq of present) if (lastSeq === null || seq > lastSeq) lastSeq = seq;
  if (lastSeq !== null) {
    // Gaps can be huge (a corrupted seq): list what fits, count the rest.
    let budget = maxProblems;
    let previous = fromSeq - 1;
    for (const seq of [...present].sort((a, b) => a - b)) {
      for (let s = previous + 1; s < seq; s++) {
        if (budget > 0) {
          report(s, 'MISSING', `no record is stored at seq ${s}`);
          budget -= 1;
        } else {
          omitted += seq - s;
          break;
        }
      }
      previous = seq;
    }
  }

  const verify = createCheckpointVerifier(publicJwks);
  let checkpointsChecked = 0;
  let latest: Checkpoint | null = null;
  const validCheckpoints: Checkpoint[] = [];
  const ours = checkpoints.filter((c) => c.chainId === chainId && c.seq <= upper && (c.seq >= fromSeq || (c.seq === 0 && fromSeq === 1)));
  for (const checkpoint of ours) {
    checkpointsChecked += 1;
    const verdict = await verify(checkpoint);
    if (!verdict.ok) {
      report(checkpoint.seq, 'CHECKPOINT_SIGNATURE', `checkpoint of ${checkpoint.time} does not verify (${verdict.reason})`);
      continue;
    }
    validCheckpoints.push(checkpoint);
    if (!latest || checkpoint.seq > latest.seq) latest = checkpoint;
    const stored = okBySeq.get(checkpoint.seq);
    if (checkpoint.seq === 0 ? checkpoint.hash !== GENESIS_HASH : stored !== undefined && stored.hash !== checkpoint.hash) {
      report(checkpoint.seq, 'CHECKPOINT_MISMATCH', `checkpoint of ${checkpoint.time} names a different hash than the one stored at seq ${checkpoint.seq}`);
    }
  }

  if (options.checkTail ?? true) {
    const lastStored = lastSeq ?? fromSeq - 1;
    const headSeq = options.head && options.head.chainId === chainId ? Math.min(options.head.lastSeq, upper) : null;
    const endSeq = options.ending ? Math.min(options.ending.lastSeq, upper) : null;
    const stored = lastSeq === null ? 'no record is stored' : `the last stored record is seq ${lastSeq}`;
    if (latest && latest.seq > lastStored) {
      report(lastStored + 1, 'TRUNCATED', `a signed checkpoint of ${latest.time} covers seq ${latest.seq}; ${stored}`, Math.max(latest.seq, endSeq ?? 0));
    } else if (endSeq !== null && endSeq > lastStored) {
      report(lastStored + 1, 'TRUNCATED', `the ledger says the chain ended at seq ${endSeq} (${options.ending!.how}); ${stored}`, endSeq);
    } else if (headSeq !== null && headSeq > lastStored) {
      report(lastStored + 1, 'TRUNCATED', `the chain head says seq ${headSeq}; ${stored}`, headSeq);
    } else if (options.storedPast && toSeq !== null && toSeq > lastStored) {
      report(lastStored + 1, 'MISSING', `the chain holds records or a signed checkpoint past seq ${toSeq}, so seqs ${lastStored + 1} to ${toSeq} were written; ${stored} in this range`, toSeq);
    }
    // The ledger's signed end names the hash of the chain's last record: another hash there means
    // the end was recorded from something other than that record (a chain head someone edited).
    const ending = options.ending;
    const last = ending && ending.lastSeq >= 1 && ending.lastSeq <= upper ? okBySeq.get(ending.lastSeq) : undefined;
    if (ending && last && last.hash !== ending.lastHash) report(ending.lastSeq, 'CHECKPOINT_MISMATCH', `the ledger says the chain ended at seq ${ending.lastSeq} (${ending.how}) with another hash than the record stored there`);
  }

  found.sort((a, b) => a.seq - b.seq || PROBLEM_KINDS.indexOf(a.kind) - PROBLEM_KINDS.indexOf(b.kind));
  const problems = found.slice(0, maxProblems);
  omitted += found.length - problems.length;
  const firstProblem = problems[0]?.seq ?? Number.POSITIVE_INFINITY;
  const trusted = validCheckpoints.filter((c) => c.seq < firstProblem).sort((a, b) => b.seq - a.seq || (b.n ?? 0) - (a.n ?? 0))[0] ?? null;
  return {
    lastTrustedCheckpoint: trusted ? { seq: trusted.seq, n: trusted.n ?? null, time: trusted.time } : null,
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
