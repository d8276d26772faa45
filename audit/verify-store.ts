/**
 * Verifies chains as a store holds them: shared by the audit subgraph (`verifyAccessLog`) and the
 * CLI (`npm run audit:verify`). Records are read in windows of seq so a long chain never has to
 * fit in memory; each window is checked with the last record of the previous one as its anchor.
 * The chain head and checkpoints are read BEFORE the records, so a writer committing meanwhile
 * only adds records the verifier may also see, never checkpoints it would miss records for.
 *
 * `verifyAccessLog` verifies the whole log from its trusted start, the ledger (audit/ledger.ts):
 * the ledger's own integrity, every chain it names (with the hash algorithm and the ending it
 * records), chains found in the store that it does not name, and chains it names that are gone.
 */
import type { JWK } from 'jose';
import { createCheckpointVerifier } from './checkpoint.js';
import { printable } from './sanitize.js';
import { API_INT_MAX } from './api-int.js';
import { readLedger, type LedgerProblem, type LedgerReading } from './ledger.js';
import type { ChainEnding, ChainHashAlg, ChainHead, ChainedAccessRecord, Checkpoint, IndexedColumns, LedgerEntry, UnplacedRows } from './record.js';
import { verifyChain, type VerificationProblem, type VerificationReport } from './verifier.js';

/** What verification reads: the store's AccessLogStore port satisfies it. */
export interface VerifiableStore {
  readChain(chainId: string, fromSeq: number, toSeq: number): Promise<ChainedAccessRecord[]>;
  checkpointsOf(chainId: string): Promise<Checkpoint[]>;
  listChains(): Promise<ChainHead[]>;
  readLedger(): Promise<LedgerEntry[]>;
  chainIdsWithData(): Promise<string[]>;
  indexedColumnsOf(chainId: string, fromSeq: number, toSeq: number): Promise<IndexedColumns[]>;
  unplacedRecords(chainId: string, beyondSeq: number): Promise<UnplacedRows>;
  nextStoredSeq(chainId: string, afterSeq: number): Promise<number | null>;
  storageProblems(options?: { consistency?: boolean }): Promise<string[]>;
}

export interface VerifyStoreOptions {
  /** First seq checked (default 1). */
  fromSeq?: number | null;
  /** Last seq checked (default: the end of the chain). */
  toSeq?: number | null;
  /** Records read per window (default 10000). A record moved further than this is reported ALTERED rather than REORDERED. */
  windowSize?: number;
  /** Problems listed per chain; the rest are counted (default 1000). */
  maxProblems?: number;
  /** The chain key of keyed chains (null: plain SHA-256, chains from before keyed hashes). Default null. */
  key?: Buffer | null;
  /** How the ledger says the chain ended (null: open). */
  ending?: ChainEnding | null;
  /** The store's chain heads, when the caller already read them (verifyAccessLog reads them once for every chain). */
  heads?: readonly ChainHead[];
}

function merge(into: VerificationReport, part: VerificationReport, maxProblems: number): void {
  const room = Math.max(0, maxProblems - into.problems.length);
  into.problems.push(...part.problems.slice(0, room));
  into.omitted += part.omitted + Math.max(0, part.problems.length - room);
  into.checked += part.checked;
  into.checkpointsChecked += part.checkpointsChecked;
  if (part.lastSeq !== null) into.lastSeq = part.lastSeq;
  if (part.latestCheckpointSeq !== null) into.latestCheckpointSeq = Math.max(into.latestCheckpointSeq ?? 0, part.latestCheckpointSeq);
  into.ok = into.problems.length === 0 && into.omitted === 0;
}

/**
 * Verifies one chain. Returns null when the store knows nothing of it (no head, no record, no
 * checkpoint), so callers can answer NOT_FOUND.
 */
export async function verifyStoredChain(store: VerifiableStore, chainId: string, publicJwks: { keys: JWK[] }, options: VerifyStoreOptions = {}): Promise<VerificationReport | null> {
  const windowSize = Math.max(1, options.windowSize ?? 10_000);
  const maxProblems = options.maxProblems ?? 1000;
  const fromSeq = Math.max(1, options.fromSeq ?? 1);
  const toSeq = options.toSeq ?? null;
  const end = toSeq ?? Number.MAX_SAFE_INTEGER;

  const head = (options.heads ?? (await store.listChains())).find((c) => c.chainId === chainId) ?? null;
  const checkpoints = await store.checkpointsOf(chainId);
  // Beyond this seq only a tampered head could hide records: stop reading once past it and empty.
  const knownEnd = checkpoints.reduce((max, c) => Math.max(max, c.seq), head?.lastSeq ?? 0);

  const total: VerificationReport = { chainId, ok: true, checked: 0, problems: [], omitted: 0, fromSeq, toSeq, lastSeq: null, checkpointsChecked: 0, latestCheckpointSeq: null, lastTrustedCheckpoint: null };
  const trustedCandidates: NonNullable<VerificationReport['lastTrustedCheckpoint']>[] = [];
  let anchor: ChainedAccessRecord | null = fromSeq > 1 ? ((await store.readChain(chainId, fromSeq - 1, fromSeq - 1))[0] ?? null) : null;
  // Checkpoints by seq, each judged in the window holding it: one pass over them in all, however
  // many windows (a list filtered per window cost windows × rows; hand-made rows at a seq no
  // window reaches stayed in it to the end). A seq that compares with no number (text) is never
  // taken, and is reported after the windows.
  const bySeq = checkpoints.map((c) => ({ c, at: Number(c.seq) })).filter((e) => !Number.isNaN(e.at)).sort((a, b) => a.at - b.at);
  let taken = 0;
  let carry = fromSeq; // the first seq not yet accounted for
  let readFrom = fromSeq;
  let sawAnything = head !== null || checkpoints.length > 0 || anchor !== null;
  let readUpTo = fromSeq - 1; // every seq from fromSeq to here was read
  // A range's end is proven written when anything of the chain lies past it: a stored record, or a
  // checkpoint the gateway signed. The chain head alone is unsigned (an attacker lowers it).
  let storedPast = false;
  if (toSeq !== null) {
    storedPast = (await store.nextStoredSeq(chainId, toSeq)) !== null;
    if (!storedPast) {
      const verifyCheckpoint = createCheckpointVerifier(publicJwks);
      for (const c of checkpoints) if (Number(c.seq) > toSeq && (await verifyCheckpoint(c)).ok) { storedPast = true; break; }
    }
  }
  for (;;) {
    const readTo = Math.min(end, readFrom + windowSize - 1);
    readUpTo = readTo;
    const [chunk, indexed] = await Promise.all([store.readChain(chainId, readFrom, readTo), store.indexedColumnsOf(chainId, readFrom, readTo)]);
    if (chunk.length) sawAnything = true;
    let final = readTo >= end || (chunk.length === 0 && readFrom > knownEnd);
    let nextFrom = readTo + 1;
    if (!final && chunk.length === 0) {
      // An empty stretch is skipped at once: a chain head or checkpoint at a far seq (a forger's)
      // would otherwise be walked up to window by window. Nothing stored in between is passed over.
      const next = await store.nextStoredSeq(chainId, readTo);
      if (next === null || next > end) final = true;
      else nextFrom = Math.max(readTo + 1, Math.ceil(next));
    }
    if (final || chunk.length) {
      // A window ends at its last stored record, so a gap at its end becomes the next window's leading gap.
      // Each checkpoint is judged in exactly one window: the one holding its seq (or the last).
      const bound = final ? end : Math.min(readTo, chunk.reduce((max, r) => Math.max(max, r.seq), 0));
      const first = taken;
      while (taken < bySeq.length && bySeq[taken]!.at <= bound) taken += 1;
      const mine = bySeq.slice(first, taken).map((e) => e.c);
      const part = await verifyChain(chunk, mine, publicJwks, {
        chainId,
        fromSeq: carry,
        toSeq: final ? toSeq : readTo,
        anchor,
        head: final ? head : null,
        checkTail: final,
        maxProblems: Math.max(1, maxProblems - total.problems.length),
        key: options.key ?? null,
        ending: options.ending ?? null,
        indexed,
        storedPast: final && storedPast,
      });
      if (part.lastTrustedCheckpoint && (total.problems.length === 0 || part.lastTrustedCheckpoint.seq < total.problems[0]!.seq)) trustedCandidates.push(part.lastTrustedCheckpoint);
      merge(total, part, maxProblems);
      if (part.lastSeq !== null) {
        carry = part.lastSeq + 1;
        anchor = chunk.find((r) => r.seq === part.lastSeq) ?? null;
      }
    }
    if (final) break;
    readFrom = nextFrom;
  }
  // Checkpoint rows no window judged, on a whole-chain verification: at a seq no position of the
  // chain can have (Infinity, text; only a hand-made row). Unjudged, such a row could still decide
  // what a gateway starting later records of the chain, so it is reported.
  const judged = new Set(bySeq.slice(0, taken).map((e) => e.c));
  const pending = checkpoints.filter((c) => !judged.has(c));
  if (toSeq === null && pending.length) {
    sawAnything = true;
    const at = (total.lastSeq ?? 0) + 1;
    const found = pending.map((c) => ({ seq: at, toSeq: at, kind: 'FORGED' as const, detail: `a checkpoint row of chain ${chainId} is stored at seq ${printable(String(c.seq).slice(0, 80))}, which no position of the chain can have: the gateway never writes one` }));
    addProblems(total, found, maxProblems);
  }
  // Rows of the chain no window returned: a seq that is not a whole number, below 1, or past
  // where reading stopped (a range verification accounts for the part of the chain past toSeq).
  const unplaced = await store.unplacedRecords(chainId, toSeq === null ? readUpTo : Number.MAX_SAFE_INTEGER);
  if (unplaced.count > 0) {
    sawAnything = true;
    reportUnplaced(total, chainId, unplaced, toSeq === null ? readUpTo : null, maxProblems);
  }
  if (!sawAnything) return null;
  await checkNumbering(total, checkpoints, publicJwks, options.ending ?? null, maxProblems);
  const firstProblem = total.problems.reduce((min, p) => Math.min(min, p.seq), Number.POSITIVE_INFINITY);
  total.lastTrustedCheckpoint = trustedCandidates.filter((c) => c.seq < firstProblem).sort((a, b) => b.seq - a.seq)[0] ?? null;
  return total;
}

/** Each unplaced row is FORGED: at its own seq when that is a usable number, else just past the chain's last record. */
function reportUnplaced(report: VerificationReport, chainId: string, unplaced: UnplacedRows, readUpTo: number | null, maxProblems: number): void {
  const after = (report.lastSeq ?? 0) + 1;
  // A seq past SafeInt (the audit API's seq fields) would fail the whole answer and hide every finding.
  const reportable = (at: number | null) => (at !== null && at <= API_INT_MAX ? at : after);
  // Stored as an integer: a REAL (5.0, only by editing the schema) is not one, whatever it equals.
  const where = readUpTo === null ? 'an integer from 1' : `an integer from 1 to ${readUpTo}, where reading the chain stopped (past its last record and checkpoint)`;
  const found: VerificationProblem[] = unplaced.samples.map((s) => ({
    seq: reportable(s.at),
    toSeq: reportable(s.at),
    kind: 'FORGED',
    detail: `a row of chain ${chainId} is stored with seq ${printable(s.shown)}, not stored as ${where}: the gateway never writes one, no read by seq returns it, yet queries list it`,
  }));
  addProblems(report, found, maxProblems, unplaced.count - unplaced.samples.length);
}

/**
 * Numbered checkpoints run 1, 2, 3… without gaps, and up to the one the ledger names as the
 * chain's last: a checkpoint deleted from the middle, or the final one deleted with the tail,
 * is reported as CHECKPOINT_MISSING. Only checkpoints whose signatures verify count.
 */
async function checkNumbering(report: VerificationReport, checkpoints: readonly Checkpoint[], publicJwks: { keys: JWK[] }, ending: ChainEnding | null, maxProblems: number): Promise<void> {
  const verify = createCheckpointVerifier(publicJwks);
  const numbered: Checkpoint[] = [];
  for (const c of checkpoints) if (c.n !== undefined && (await verify(c)).ok) numbered.push(c);
  if (!numbered.length && !ending?.lastCheckpointN) return;
  numbered.sort((a, b) => a.n! - b.n!);
  const found: VerificationProblem[] = [];
  let expected = 1;
  for (const c of numbered) {
    if (c.n! > expected) found.push({ seq: c.seq, toSeq: c.seq, kind: 'CHECKPOINT_MISSING', detail: `checkpoint${c.n! - expected > 1 ? 's' : ''} ${expected}${c.n! - expected > 1 ? `–${c.n! - 1}` : ''} before the one numbered ${c.n} at seq ${c.seq} ${c.n! - expected > 1 ? 'are' : 'is'} missing` });
    expected = Math.max(expected, c.n! + 1);
  }
  const lastN = ending?.lastCheckpointN ?? 0;
  if (lastN >= expected) found.push({ seq: ending!.lastCheckpointSeq, toSeq: ending!.lastSeq, kind: 'CHECKPOINT_MISSING', detail: `the ledger says the chain's last checkpoint was number ${lastN} at seq ${ending!.lastCheckpointSeq}; the last stored is number ${expected - 1}` });
  else if (ending?.how === 'SHUTDOWN' && !numbered.some((c) => c.final)) found.push({ seq: ending.lastSeq, toSeq: ending.lastSeq, kind: 'CHECKPOINT_MISSING', detail: 'the chain was shut down, but its final checkpoint is missing' });
  addProblems(report, found, maxProblems);
}

/** Adds problems found after the windows: as many as fit in `maxProblems`, the rest (and `moreOmitted`) counted, kept in seq order. */
function addProblems(report: VerificationReport, found: readonly VerificationProblem[], maxProblems: number, moreOmitted = 0): void {
  const room = Math.max(0, maxProblems - report.problems.length);
  report.problems.push(...found.slice(0, room));
  report.omitted += Math.max(0, found.length - room) + moreOmitted;
  report.problems.sort((a, b) => a.seq - b.seq);
  report.ok = report.problems.length === 0 && report.omitted === 0;
}

/**
 * Verifies one chain (or a seq range of it) with what the ledger says of it: its hash algorithm
 * and how it ended. Null when the store knows nothing of the chain and the ledger does not name it.
 * The ledger's own problems come with it and make it not ok: the ledger is what says how the
 * chain ended, and a CLOSE removed or edited makes a chain whose tail was cut look open and whole.
 * So are a trusted ledger head it no longer reaches, and chains with records the ledger does not
 * name (their OPEN gone: the ledger's tail may have been cut, this chain's CLOSE with it).
 */
export async function verifyChainInLog(store: VerifiableStore, chainId: string, publicJwks: { keys: JWK[] }, options: VerifyAccessLogOptions & { fromSeq?: number | null; toSeq?: number | null }): Promise<OneChainVerification | null> {
  const entries = await store.readLedger();
  options.onLedgerRead?.(entries);
  const ledger = await readLedger(entries, publicJwks);
  const judged = await chainInLedger(store, chainId, publicJwks, options, ledger);
  if (!judged) return null;
  const unlisted = (await store.chainIdsWithData()).filter((id) => !ledger.chains.has(id)).sort();
  const at = (ledger.head?.seq ?? 0) + 1;
  const shown = unlisted.slice(0, MAX_UNLISTED_SHOWN).map((id): LedgerProblem => ({ seq: at, kind: 'MISSING', detail: printable(`chain ${id} holds records but no intact ledger entry names it: its OPEN is missing, and the ledger's tail may have been cut`) }));
  if (unlisted.length > MAX_UNLISTED_SHOWN) shown.push({ seq: at, kind: 'MISSING', detail: `… and ${unlisted.length - MAX_UNLISTED_SHOWN} more chains with records that no ledger entry names` });
  const problems = [...ledger.problems, ...trustedHeadProblems(entries, options.trustedLedgerHead), ...shown];
  return { ...judged, ok: judged.ok && problems.length === 0, ledger: ledgerFindings(ledger, problems, options.maxProblems) };
}

/**
 * The ledger's part of an answer: its problems listed up to `maxProblems` (default 1000, as for a
 * chain), the rest counted. Hand-made ledger rows can number in the hundreds of thousands, each a
 * problem, and the answer must stay a size an auditor's client can take.
 */
function ledgerFindings(ledger: LedgerReading, problems: LedgerProblem[], maxProblems = 1000): AccessLogVerification['ledger'] {
  const listed = Math.max(0, maxProblems);
  return { entries: ledger.entries, head: ledger.head, problems: problems.slice(0, listed), omitted: Math.max(0, problems.length - listed) };
}

/** How many unnamed chains the one-chain verification lists (the rest are counted). */
const MAX_UNLISTED_SHOWN = 20;

/**
 * A verification made without a trusted ledger head, with an auditor's head judged against the
 * ledger as `entries` hold it: the costly part (every chain) does not depend on the head, so
 * callers giving different heads can share one run of it (subgraphs/audit/index.ts).
 */
export function withTrustedLedgerHead<T extends { ok: boolean; ledger: AccessLogVerification['ledger'] }>(result: T, entries: readonly LedgerEntry[], head: { seq: number; hash: string } | null, maxProblems = 1000): T {
  const extra = trustedHeadProblems(entries, head);
  if (!extra.length) return result;
  const room = Math.max(0, maxProblems - result.ledger.problems.length);
  return { ...result, ok: false, ledger: { ...result.ledger, problems: [...result.ledger.problems, ...extra.slice(0, room)], omitted: result.ledger.omitted + Math.max(0, extra.length - room) } };
}

/** Whether the ledger still holds, unchanged, the head an auditor recorded at an earlier verification. */
function trustedHeadProblems(entries: readonly LedgerEntry[], anchor: { seq: number; hash: string } | null | undefined): LedgerProblem[] {
  if (!anchor) return [];
  const entry = entries.find((e) => e.seq === anchor.seq);
  if (!entry) return [{ seq: anchor.seq, kind: 'MISSING', detail: `the ledger no longer reaches seq ${anchor.seq}, which an earlier verification saw: its tail was removed` }];
  if (entry.hash !== anchor.hash) return [{ seq: anchor.seq, kind: 'ALTERED', detail: `ledger entry ${anchor.seq} differs from the one an earlier verification saw` }];
  return [];
}

async function chainInLedger(store: VerifiableStore, chainId: string, publicJwks: { keys: JWK[] }, options: VerifyAccessLogOptions & { fromSeq?: number | null; toSeq?: number | null }, ledger: LedgerReading): Promise<ChainVerification | null> {
  const chain = ledger.chains.get(chainId);
  const ending = chain?.closed?.ending ?? null;
  const key = !chain || chain.hashAlg === 'hmac-sha256' ? options.chainKey : null;
  const report = await verifyStoredChain(store, chainId, publicJwks, { ...options, key, ending });
  if (!report) {
    if (!chain) return null;
    return { ...emptyReport(chainId), ok: false, problems: [{ seq: 1, toSeq: ending?.lastSeq ?? 1, kind: 'CHAIN_MISSING', detail: `the ledger names chain ${chainId}; the store holds nothing of it` }], status: ending ? (ending.how === 'SHUTDOWN' ? 'SHUTDOWN' : 'CRASHED') : 'OPEN', hashAlg: chain.hashAlg, unsignedTail: 0 };
  }
  if (!chain) {
    report.problems.unshift({ seq: 1, toSeq: report.lastSeq ?? 1, kind: 'FORGED', detail: `chain ${chainId} is not in the ledger: no gateway announced it` });
    report.ok = false;
    return { ...report, status: 'UNLISTED', hashAlg: null, unsignedTail: 0 };
  }
  const unsignedTail = ending ? ending.unsignedRecords : Math.max(0, (report.lastSeq ?? 0) - (report.latestCheckpointSeq ?? 0));
  return { ...report, status: ending ? (ending.how === 'SHUTDOWN' ? 'SHUTDOWN' : 'CRASHED') : 'OPEN', hashAlg: chain.hashAlg, unsignedTail };
}

/** One chain verified on its own, with the ledger's problems (see verifyChainInLog). */
export interface OneChainVerification extends ChainVerification {
  ledger: AccessLogVerification['ledger'];
}

/** How one chain stands, besides its problems. */
export interface ChainVerification extends VerificationReport {
  /** OPEN (no ledger CLOSE yet: live, or its writer died and no gateway has started since), SHUTDOWN or CRASHED. */
  status: 'OPEN' | 'SHUTDOWN' | 'CRASHED' | 'UNLISTED';
  hashAlg: ChainHashAlg | null;
  /**
   * Records after the chain's last signed checkpoint: for a crashed chain, how far its tail went
   * unsigned (bounded by AUDIT_CHECKPOINT_EVERY / AUDIT_CHECKPOINT_INTERVAL_MS); for an open
   * chain, the current unprotected window.
   */
  unsignedTail: number;
}

export interface AccessLogVerification {
  ok: boolean;
  /** The ledger's problems beyond `maxProblems` are counted in `omitted`, not listed. */
  ledger: { entries: number; head: LedgerReading['head']; problems: LedgerProblem[]; omitted: number };
  chains: ChainVerification[];
  /** What the store's own consistency check found (an index out of step with its table): filtered queries would not list what the tables hold. */
  storageProblems: string[];
}

export interface VerifyAccessLogOptions extends Omit<VerifyStoreOptions, 'fromSeq' | 'toSeq' | 'key' | 'ending'> {
  /** The chain key: the audit key's chainKeyOf. */
  chainKey: Buffer;
  /** A ledger head an auditor recorded at an earlier verification: entries up to it must still be there, unchanged. */
  trustedLedgerHead?: { seq: number; hash: string } | null;
  /** Told the ledger rows the verification read, so a trusted head judged later (withTrustedLedgerHead) is judged against the same ledger as the report. */
  onLedgerRead?: (entries: readonly LedgerEntry[]) => void;
}

/**
 * Verifies the whole access log from the ledger (see the file comment). The store is checked
 * first: when it holds what makes reading it fail (a staged row a trigger keeps from being folded,
 * a NULL where none may be), the answer names that, rather than the read's error alone.
 */
export async function verifyAccessLog(store: VerifiableStore, publicJwks: { keys: JWK[] }, options: VerifyAccessLogOptions): Promise<AccessLogVerification> {
  const storageProblems = await store.storageProblems();
  try {
    return await verifyReadableLog(store, publicJwks, options, storageProblems);
  } catch (err) {
    if (!storageProblems.length) throw err;
    const reason = printable(String((err as Error)?.message ?? err).slice(0, 300));
    return { ok: false, ledger: { entries: 0, head: null, problems: [], omitted: 0 }, chains: [], storageProblems: [...storageProblems, `the access log could not be read, so no chain was verified: ${reason}`] };
  }
}

async function verifyReadableLog(store: VerifiableStore, publicJwks: { keys: JWK[] }, options: VerifyAccessLogOptions, storageProblems: string[]): Promise<AccessLogVerification> {
  const entries = await store.readLedger();
  options.onLedgerRead?.(entries);
  const ledger = await readLedger(entries, publicJwks);
  const problems = [...ledger.problems, ...trustedHeadProblems(entries, options.trustedLedgerHead)];
  const withData = new Set(await store.chainIdsWithData());
  const heads = await store.listChains();
  const perChain = { ...options, heads };
  const chains: ChainVerification[] = [];
  const listed = [...ledger.chains.values()].sort((a, b) => a.opened.seq - b.opened.seq);
  for (const chain of listed) {
    const ending = chain.closed?.ending ?? null;
    const status = ending ? (ending.how === 'SHUTDOWN' ? 'SHUTDOWN' : 'CRASHED') : 'OPEN';
    const key = chain.hashAlg === 'hmac-sha256' ? options.chainKey : null;
    const report = withData.has(chain.chainId) ? await verifyStoredChain(store, chain.chainId, publicJwks, { ...perChain, key, ending }) : null;
    if (!report) {
      chains.push({ ...emptyReport(chain.chainId), ok: false, problems: [{ seq: 1, toSeq: ending?.lastSeq ?? 1, kind: 'CHAIN_MISSING', detail: `the ledger names chain ${chain.chainId} (opened ${chain.opened.time}${ending ? `, ended at seq ${ending.lastSeq}` : ''}); the store holds nothing of it` }], status, hashAlg: chain.hashAlg, unsignedTail: 0 });
      continue;
    }
    const unsignedTail = ending ? ending.unsignedRecords : Math.max(0, (report.lastSeq ?? 0) - (report.latestCheckpointSeq ?? 0));
    chains.push({ ...report, status, hashAlg: chain.hashAlg, unsignedTail });
  }
  const unlisted = [...withData].filter((id) => !ledger.chains.has(id)).sort();
  for (const chainId of unlisted) {
    const report = (await verifyStoredChain(store, chainId, publicJwks, { ...perChain, key: options.chainKey })) ?? emptyReport(chainId);
    const head = heads.find((h) => h.chainId === chainId);
    report.problems.unshift({ seq: 1, toSeq: report.lastSeq ?? head?.lastSeq ?? 1, kind: 'FORGED', detail: `chain ${chainId} is not in the ledger: no gateway announced it` });
    report.ok = false;
    chains.push({ ...report, status: 'UNLISTED', hashAlg: null, unsignedTail: 0 });
  }
  const ok = problems.length === 0 && chains.every((c) => c.ok) && storageProblems.length === 0;
  return { ok, ledger: ledgerFindings(ledger, problems, options.maxProblems), chains, storageProblems };
}

function emptyReport(chainId: string): VerificationReport {
  return { chainId, ok: true, checked: 0, problems: [], omitted: 0, fromSeq: 1, toSeq: null, lastSeq: null, checkpointsChecked: 0, latestCheckpointSeq: null, lastTrustedCheckpoint: null };
}
