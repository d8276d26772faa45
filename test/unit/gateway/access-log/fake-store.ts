/**
 * An in-memory stand-in for the access-log part of the Store port (only what the writer, the
 * verifier and the audit subgraph use). Rows keep the record as JSON, like the SQLite adapter, so
 * tests can tamper with them the way one would with SQL. It can be made to fail, or to hold a
 * commit open until released, to test retries and group commit.
 */
import { chainBatch, type ChainBatch } from '../../../../audit/chain.js';
import { indexedColumnsOf, UNPLACED_SAMPLES, type UnplacedRows, type AccessLogFilter, type AccessLogPage, type AccessSummary, type ChainHead, type ChainedAccessRecord, type Checkpoint, type CountBy, type IndexedColumns, type LedgerEntry } from '../../../../audit/record.js';
import type { Store } from '../../../../store/port.js';
import { StoreConflictError, StoreUnavailableError } from '../../../../store/port.js';

export interface FakeRow {
  chainId: string;
  seq: number;
  record: string;
}

const countBy = (values: string[]): CountBy[] => {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts].map(([key, count]) => ({ key, count })).sort((a, b) => b.count - a.count || a.key.localeCompare(b.key));
};

export class FakeAccessLogStore {
  readonly rows: FakeRow[] = [];
  readonly heads = new Map<string, ChainHead>();
  readonly checkpoints: Checkpoint[] = [];
  readonly ledger: LedgerEntry[] = [];
  /** Every appendAccessRecords call, committed or not, with the seqs it carried. */
  readonly appendCalls: Array<{ seqs: number[]; checkpoints: number; failed: boolean }> = [];
  /** When true, every write throws StoreUnavailableError. */
  failing = false;
  /** When true, the next append commits and then throws (a lost acknowledgement). */
  failAfterCommitOnce = false;
  private gate: Promise<void> | null = null;
  private openGate: (() => void) | null = null;
  lastQuery: { filter: AccessLogFilter; page: { first: number; after?: string | null } } | null = null;

  /** Holds every later append open until `release()`. */
  hold(): void {
    this.gate = new Promise((resolve) => (this.openGate = resolve));
  }

  release(): void {
    this.openGate?.();
    this.gate = null;
  }

  asStore(): Store {
    return this as unknown as Store;
  }

  async readLedger(): Promise<LedgerEntry[]> {
    if (this.failing) throw new StoreUnavailableError('fake store down');
    return [...this.ledger];
  }

  async appendLedgerEntry(entry: LedgerEntry, opens?: ChainHead): Promise<void> {
    if (this.failing) throw new StoreUnavailableError('fake store down');
    if (this.ledger.some((e) => e.seq === entry.seq)) throw new StoreConflictError('LEDGER', String(entry.seq), entry.seq - 1, null);
    this.ledger.push({ ...entry });
    if (opens && !this.heads.has(opens.chainId)) this.heads.set(opens.chainId, { ...opens });
  }

  async chainIdsWithData(): Promise<string[]> {
    return [...new Set([...this.rows.map((r) => r.chainId), ...this.checkpoints.map((c) => c.chainId), ...this.heads.keys()])];
  }

  async indexedColumnsOf(chainId: string, fromSeq: number, toSeq: number): Promise<IndexedColumns[]> {
    return this.rows.filter((r) => r.chainId === chainId && r.seq >= fromSeq && r.seq <= toSeq).sort((a, b) => a.seq - b.seq).map((r) => indexedColumnsOf(JSON.parse(r.record) as ChainedAccessRecord));
  }

  async storageProblems(): Promise<string[]> {
    return [];
  }

  async nextStoredSeq(chainId: string, afterSeq: number): Promise<number | null> {
    const seqs = this.rows.filter((r) => r.chainId === chainId && r.seq > afterSeq).map((r) => r.seq);
    return seqs.length ? Math.min(...seqs) : null;
  }

  async unplacedRecords(chainId: string, beyondSeq: number): Promise<UnplacedRows> {
    const rows = this.rows.filter((r) => r.chainId === chainId && !(Number.isInteger(r.seq) && r.seq >= 1 && r.seq <= beyondSeq));
    return { count: rows.length, samples: rows.slice(0, UNPLACED_SAMPLES).map((r) => ({ shown: String(r.seq), at: Number.isSafeInteger(r.seq) && r.seq >= 1 ? r.seq : null })) };
  }

  async openChain(head: ChainHead): Promise<void> {
    if (this.failing) throw new StoreUnavailableError('fake store down');
    if (!this.heads.has(head.chainId)) this.heads.set(head.chainId, { ...head });
  }

  async appendAccessRecords(records: ChainedAccessRecord[], checkpoints: Checkpoint[] = []): Promise<void> {
    const call = { seqs: records.map((r) => r.seq), checkpoints: checkpoints.length, failed: false };
    this.appendCalls.push(call);
    if (this.gate) await this.gate;
    if (this.failing) {
      call.failed = true;
      throw new StoreUnavailableError('fake store down');
    }
    for (const r of records) {
      if (this.rows.some((row) => row.chainId === r.chainId && row.seq === r.seq)) continue; // idempotent on (chainId, seq)
      this.rows.push({ chainId: r.chainId, seq: r.seq, record: JSON.stringify(r) });
      const head = this.heads.get(r.chainId);
      if (head && r.seq > head.lastSeq) this.heads.set(r.chainId, { ...head, lastSeq: r.seq, lastHash: r.hash });
    }
    for (const c of checkpoints) this.checkpoints.push({ ...c });
    if (this.failAfterCommitOnce) {
      this.failAfterCommitOnce = false;
      call.failed = true;
      throw new StoreUnavailableError('acknowledgement lost');
    }
  }

  /** Chains as every adapter does (the pure chainBatch), then appends like appendAccessRecords. */
  async appendToChain(batch: ChainBatch, checkpoints: Checkpoint[] = []): Promise<string[]> {
    const records = chainBatch(batch);
    await this.appendAccessRecords(records, checkpoints);
    return records.map((r) => r.hash);
  }

  async appendCheckpoint(checkpoint: Checkpoint): Promise<void> {
    if (this.failing) throw new StoreUnavailableError('fake store down');
    this.checkpoints.push({ ...checkpoint });
  }

  async readChain(chainId: string, fromSeq: number, toSeq: number, limit?: number): Promise<ChainedAccessRecord[]> {
    return this.rows
      .filter((r) => r.chainId === chainId && r.seq >= fromSeq && r.seq <= toSeq && Number.isInteger(r.seq))
      .sort((a, b) => a.seq - b.seq)
      .slice(0, limit)
      .map((r) => JSON.parse(r.record) as ChainedAccessRecord);
  }

  async listChains(): Promise<ChainHead[]> {
    return [...this.heads.values()];
  }

  async checkpointsOf(chainId: string): Promise<Checkpoint[]> {
    return this.checkpoints.filter((c) => c.chainId === chainId).sort((a, b) => a.seq - b.seq || a.time.localeCompare(b.time));
  }

  private matching(filter: AccessLogFilter): ChainedAccessRecord[] {
    return this.rows
      .map((r) => JSON.parse(r.record) as ChainedAccessRecord)
      .filter(
        (r) =>
          (filter.from == null || r.time >= filter.from) &&
          (filter.to == null || r.time < filter.to) &&
          (filter.productId == null || r.productId === filter.productId) &&
          (filter.developerId == null || r.developerId === filter.developerId) &&
          (filter.org == null || r.org === filter.org) &&
          (filter.clientDigest == null || r.clientDigests.includes(filter.clientDigest)) &&
          (filter.decision == null || r.decision === filter.decision) &&
          (filter.errorCode == null || r.errorCodes.includes(filter.errorCode)) &&
          (filter.operationName == null || r.operationName === filter.operationName),
      )
      .sort((a, b) => b.time.localeCompare(a.time) || b.id.localeCompare(a.id));
  }

  async queryAccessLogs(filter: AccessLogFilter, page: { first: number; after?: string | null }): Promise<AccessLogPage> {
    this.lastQuery = { filter, page };
    const all = this.matching(filter);
    const start = page.after ? Number(page.after) : 0;
    const records = all.slice(start, start + page.first);
    return { records, nextCursor: start + page.first < all.length ? String(start + page.first) : null };
  }

  async summarizeAccessLogs(filter: AccessLogFilter): Promise<AccessSummary> {
    const all = this.matching(filter);
    return {
      total: all.length,
      byProduct: countBy(all.map((r) => r.productId ?? '(none)')),
      byDecision: countBy(all.map((r) => r.decision)),
      byCode: countBy(all.flatMap((r) => r.errorCodes)),
    };
  }
}
