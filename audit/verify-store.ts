/**
 * Verifies chains as a store holds them: shared by the audit subgraph (`verifyAccessLog`) and the
 * CLI (`npm run audit:verify`). Records are read in windows of seq so a long chain never has to
 * fit in memory; each window is checked with the last record of the previous one as its anchor.
 * The chain head and checkpoints are read BEFORE the records, so a writer committing meanwhile
 * only adds records the verifier may also see, never checkpoints it would miss records for.
 */
import type { JWK } from 'jose';
import type { ChainHead, ChainedAccessRecord, Checkpoint } from './record.js';
import { verifyChain, type VerificationReport } from './verifier.js';

/** What verification reads: the store's AccessLogStore port satisfies it. */
export interface VerifiableStore {
  readChain(chainId: string, fromSeq: number, toSeq: number): Promise<ChainedAccessRecord[]>;
  checkpointsOf(chainId: string): Promise<Checkpoint[]>;
  listChains(): Promise<ChainHead[]>;
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

  const head = (await store.listChains()).find((c) => c.chainId === chainId) ?? null;
  const checkpoints = await store.checkpointsOf(chainId);
  // Beyond this seq only a tampered head could hide records: stop reading once past it and empty.
  const knownEnd = checkpoints.reduce((max, c) => Math.max(max, c.seq), head?.lastSeq ?? 0);

  const total: VerificationReport = { chainId, ok: true, checked: 0, problems: [], omitted: 0, fromSeq, toSeq, lastSeq: null, checkpointsChecked: 0, latestCheckpointSeq: null };
  let anchor: ChainedAccessRecord | null = fromSeq > 1 ? ((await store.readChain(chainId, fromSeq - 1, fromSeq - 1))[0] ?? null) : null;
  let pending = checkpoints;
  let carry = fromSeq; // the first seq not yet accounted for
  let readFrom = fromSeq;
  let sawAnything = head !== null || checkpoints.length > 0 || anchor !== null;
  for (;;) {
    const readTo = Math.min(end, readFrom + windowSize - 1);
    const chunk = await store.readChain(chainId, readFrom, readTo);
    if (chunk.length) sawAnything = true;
    const final = readTo >= end || (chunk.length === 0 && readFrom > knownEnd);
    if (final || chunk.length) {
      // A window ends at its last stored record, so a gap at its end becomes the next window's leading gap.
      // Each checkpoint is judged in exactly one window: the one holding its seq (or the last).
      const bound = final ? end : Math.min(readTo, chunk.reduce((max, r) => Math.max(max, r.seq), 0));
      const mine = pending.filter((c) => c.seq <= bound);
      pending = pending.filter((c) => c.seq > bound);
      const part = await verifyChain(chunk, mine, publicJwks, {
        chainId,
        fromSeq: carry,
        toSeq: final ? toSeq : readTo,
        anchor,
        head: final ? head : null,
        checkTail: final,
        maxProblems: Math.max(1, maxProblems - total.problems.length),
      });
      merge(total, part, maxProblems);
      if (part.lastSeq !== null) {
        carry = part.lastSeq + 1;
        anchor = chunk.find((r) => r.seq === part.lastSeq) ?? null;
      }
    }
    if (final) break;
    readFrom = readTo + 1;
  }
  return sawAnything ? total : null;
}

/** Verifies every chain the store lists, oldest first. */
export async function verifyStore(store: VerifiableStore, publicJwks: { keys: JWK[] }, options: Omit<VerifyStoreOptions, 'fromSeq' | 'toSeq'> = {}): Promise<VerificationReport[]> {
  const chains = [...(await store.listChains())].sort((a, b) => a.startedAt.localeCompare(b.startedAt) || a.chainId.localeCompare(b.chainId));
  const reports: VerificationReport[] = [];
  for (const chain of chains) {
    const report = await verifyStoredChain(store, chain.chainId, publicJwks, options);
    if (report) reports.push(report);
  }
  return reports;
}
