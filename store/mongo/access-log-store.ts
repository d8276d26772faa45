/**
 * The access log in MongoDB: chained records in a time-series collection, checkpoints and chain
 * heads in ordinary collections.
 *
 * Idempotent append without a unique index. MongoDB refuses unique indexes and multi-document
 * transactions on time-series collections, so (chainId, seq) cannot be made unique by the
 * database. Instead each group commit first reads which seqs of the batch's range already exist
 * for each chain (one indexed query per chain: `{ chainId, seq: { $gte, $lte } }`) and inserts only
 * the others. That is exact because a chain has exactly one writer (chainId = instance id + start
 * epoch) and the writer commits one batch at a time, so nobody else inserts into that range
 * between the check and the insert. A retry after a partial failure (ordered: false may insert
 * some documents and not others) therefore fills in exactly what is missing. The driver's own
 * single retry of a failed insert is a retryable write, which the server applies at most once.
 *
 * The check reads what the primary has (read concern `local`), not only what a majority has: a
 * write that timed out waiting for a majority (wtimeoutMS) stays on the primary ("MongoDB does
 * not undo successful data modifications performed before the write concern exceeded the
 * wtimeout time limit", manual, Write Concern), and a majority read would not see it, so every
 * retry while the majority lags would insert the batch once more. Records an earlier attempt left
 * are not inserted again, and the batch counts as written only once a majority read sees them;
 * until then it fails as unavailable and is retried. A failover that rolls them back leaves them
 * on neither view, and the next retry inserts them.
 *
 * Order of writes, chosen so a crash at any point leaves nothing a verifier would misread:
 * records (majority write concern) → chain heads → checkpoints. A checkpoint never exists before
 * the records it covers; a head that lags behind is advanced by the retry.
 */
import { Types, type PipelineStage } from 'mongoose';
import type { Models } from './models/index.js';
import { operationBounds, type MongoConnectionOptions } from './connection.js';
import { transactionOptions, type SessionSource } from './registry-store.js';
import { runTransaction } from './transaction.js';
import { chainBatch, type ChainBatch } from '../../audit/chain.js';
import { storedChainIdLabel, UNPLACED_SAMPLES, type AccessLogFilter, type AccessLogPage, type AccessSummary, type ChainHead, type ChainedAccessRecord, type Checkpoint, type CountBy, type IndexedColumns, type LedgerEntry, type UnplacedRows } from '../../audit/record.js';
import { StoreConflictError, StoreUnavailableError } from '../../core/store-errors.js';
import { isDuplicateKey } from './errors.js';
import { CodedError } from '../../core/errors.js';
import { decodeCursor, encodeCursor, olderThan } from './cursor.js';
import { dateOf, documentToRecord, jsonClean, recordToDocument, stripped, toChainHead, toCheckpoint } from './documents.js';

type Doc = Record<string, unknown>;

/** byProduct key for records without a product; the same key the SQLite adapter uses. */
export const NO_PRODUCT_KEY = '(none)';

// Writes here pass no writeConcern: they inherit the client's `{ w: 'majority', wtimeoutMS }`
// (connection.ts). An operation's own writeConcern would replace it whole, timeout included.

function timeOf(iso: string, what: string): Date {
  const date = typeof iso === 'string' ? dateOf(iso) : null;
  if (!date) throw new CodedError('BAD_USER_INPUT', `${what} is not an ISO date-time.`);
  return date;
}

/** The match for a filter; every given criterion is ANDed. Time range is [from, to), as in SQLite. */
export function matchOf(filter: AccessLogFilter): Doc {
  const match: Doc = {};
  const time: Doc = {};
  if (filter.from != null) time.$gte = timeOf(filter.from, 'from');
  if (filter.to != null) time.$lt = timeOf(filter.to, 'to');
  if (Object.keys(time).length) match.time = time;
  // String() everywhere: a filter value is always compared as a value, never read as an operator.
  if (filter.productId != null) match['meta.productId'] = String(filter.productId);
  if (filter.decision != null) match['meta.decision'] = String(filter.decision);
  if (filter.developerId != null) match.developerId = String(filter.developerId);
  if (filter.org != null) match.org = String(filter.org);
  if (filter.operationName != null) match.operationName = String(filter.operationName);
  // Equality on an array field matches records whose array contains the value.
  if (filter.errorCode != null) match.errorCodes = String(filter.errorCode);
  if (filter.clientDigest != null) match.clientDigests = String(filter.clientDigest);
  if (filter.sub != null) match.sub = String(filter.sub);
  if (filter.issuer != null) match.issuer = String(filter.issuer);
  if (filter.jti != null) match.jti = String(filter.jti);
  if (filter.clientIp != null) match.clientIp = String(filter.clientIp);
  if (filter.httpStatus != null) match.httpStatus = Number(filter.httpStatus);
  if (filter.role != null) match.roles = String(filter.role);
  if (filter.coordinate != null) match.coordinates = String(filter.coordinate);
  return match;
}

const NEWEST_FIRST = { time: -1, chainId: -1, seq: -1 } as const;

/**
 * Reads by seq range take documents at whole-number seqs only: between two seqs there can be any
 * number of others (a fraction; only a hand-made document), which unplacedRecords reports. $cond,
 * not $and: $trunc must never see a non-number.
 */
const WHOLE_SEQ = { $expr: { $cond: [{ $isNumber: '$seq' }, { $eq: ['$seq', { $trunc: ['$seq', 0] }] }, false] } };

export class MongoAccessLog {
  /** `sessions`: for the one multi-document write, a chain's OPEN ledger entry with its head (appendLedgerEntry). */
  constructor(
    private readonly m: Models,
    private readonly sessions?: SessionSource,
    private readonly options: MongoConnectionOptions = {},
  ) {}

  async appendAccessRecords(records: ChainedAccessRecord[], checkpoints: Checkpoint[] = []): Promise<void> {
    if (records.length === 0 && checkpoints.length === 0) return;

    const ranges = new Map<string, { min: number; max: number; first: ChainedAccessRecord; last: ChainedAccessRecord }>();
    for (const r of records) {
      const range = ranges.get(r.chainId);
      if (!range) ranges.set(r.chainId, { min: r.seq, max: r.seq, first: r, last: r });
      else {
        range.min = Math.min(range.min, r.seq);
        if (r.seq > range.max) {
          range.max = r.seq;
          range.last = r;
        }
      }
    }

    // What the primary has, an attempt that timed out waiting for a majority included (see the top of this file).
    const present = await this.storedKeys(ranges, 'local');
    // The batch's records an earlier attempt left: written only once a majority has them.
    const leftBefore = new Set(records.map((r) => `${r.chainId}\u0000${r.seq}`).filter((key) => present.has(key)));

    // Validate the whole batch before writing any of it: a record the schema refuses must not
    // leave its batch half-written (mongoose's insertMany would insert the valid ones).
    const fresh: Doc[] = [];
    for (const record of records) {
      const key = `${record.chainId}\u0000${record.seq}`;
      if (present.has(key)) continue;
      present.add(key); // the same (chainId, seq) twice in one batch: the first wins, as in SQLite
      const doc = new this.m.AccessRecord(recordToDocument(record));
      const invalid = doc.validateSync();
      if (invalid) throw invalid;
      fresh.push(doc.toObject());
    }
    if (fresh.length) {
      // lean: already cast and validated above. ordered: false lets the server insert the batch
      // in parallel; the inherited majority concern means acknowledged survives a failover.
      const options = { ordered: false, lean: true } as const;
      await this.m.AccessRecord.insertMany(fresh, options);
    }
    if (leftBefore.size) await this.confirmMajority(ranges, leftBefore);

    const updatedAt = new Date().toISOString();
    await Promise.all([...ranges].map(([chainId, { first, last }]) => this.advanceHead(chainId, first, last, updatedAt)));

    for (const c of checkpoints) await this.appendCheckpoint(c);
  }

  /** Chains on the caller's thread (the pure chainBatch the SQLite write thread also runs), then appends. */
  async appendToChain(batch: ChainBatch, checkpoints: Checkpoint[] = []): Promise<string[]> {
    const records = chainBatch(batch);
    await this.appendAccessRecords(records, checkpoints);
    return records.map((r) => r.hash);
  }

  /** `chainId NUL seq` of every record stored within the ranges, read from the primary with this read concern. */
  private async storedKeys(ranges: ReadonlyMap<string, { min: number; max: number }>, level: 'local' | 'majority'): Promise<Set<string>> {
    const keys = new Set<string>();
    await Promise.all(
      [...ranges].map(async ([chainId, { min, max }]) => {
        const docs = (await this.m.AccessRecord.find({ chainId, seq: { $gte: min, $lte: max } }, { seq: 1, _id: 0 })
          .read('primary')
          .readConcern(level)
          .lean()) as Array<{ seq: number }>;
        for (const d of docs) keys.add(`${chainId}\u0000${d.seq}`);
      }),
    );
    return keys;
  }

  /**
   * Fails as unavailable unless a majority has every record in `keys` (records of the batch an
   * earlier attempt wrote): until then a failover could still take them away, and the head and
   * checkpoints must not move past them.
   */
  private async confirmMajority(ranges: ReadonlyMap<string, { min: number; max: number }>, keys: ReadonlySet<string>): Promise<void> {
    const durable = await this.storedKeys(ranges, 'majority');
    const pending = [...keys].filter((key) => !durable.has(key)).length;
    if (pending) throw new StoreUnavailableError(`MongoDB store unavailable (${pending} access record${pending === 1 ? '' : 's'} of an earlier attempt not yet acknowledged by a majority)`);
  }

  /** Moves the head forward only (a retried, older batch never moves it back). */
  private async advanceHead(chainId: string, first: ChainedAccessRecord, last: ChainedAccessRecord, updatedAt: string): Promise<void> {
    const moved = await this.m.ChainHead.updateOne(
      { chainId, lastSeq: { $lt: last.seq } },
      { $set: { lastSeq: last.seq, lastHash: last.hash, updatedAt } },
    );
    if (moved.matchedCount === 1) return;
    // A chain nobody opened (should not happen) is registered from its first record.
    await this.m.ChainHead.updateOne(
      { chainId },
      { $setOnInsert: { instanceId: first.instanceId, startedAt: first.time, lastSeq: last.seq, lastHash: last.hash, updatedAt } },
      { upsert: true },
    );
  }

  /** Stored once per (chainId, seq, time); a retried checkpoint is a no-op. */
  async appendCheckpoint(checkpoint: Checkpoint): Promise<void> {
    const clean = jsonClean(checkpoint);
    const invalid = new this.m.Checkpoint(clean).validateSync();
    if (invalid) throw invalid;
    const { chainId, seq, time, ...rest } = clean;
    // An upsert on the unique (chainId, seq, time) key: the server retries a duplicate-key race
    // between two upserts of the same key itself.
    await this.m.Checkpoint.updateOne({ chainId, seq, time }, { $setOnInsert: rest }, { upsert: true });
  }

  async openChain(head: ChainHead): Promise<void> {
    const clean = jsonClean(head);
    const invalid = new this.m.ChainHead(clean).validateSync();
    if (invalid) throw invalid;
    const { chainId, ...rest } = clean;
    // Registering an existing chain again changes nothing (SQLite: ON CONFLICT DO NOTHING).
    await this.m.ChainHead.updateOne({ chainId }, { $setOnInsert: rest }, { upsert: true });
  }

  async readLedger(): Promise<LedgerEntry[]> {
    const docs = (await this.m.LedgerEntry.find({}).sort({ seq: 1 }).lean()) as Doc[];
    return docs.map((d) => stripped<LedgerEntry>(d)!);
  }

  /**
   * Inserts one ledger entry; the unique seq index turns a race for the same seq into a conflict.
   * With `opens`, the chain's head is upserted in the same transaction (runTransaction: a
   * duplicate seq aborts it, and then neither is written).
   */
  async appendLedgerEntry(entry: LedgerEntry, opens?: ChainHead): Promise<void> {
    const clean = jsonClean(entry);
    const invalid = new this.m.LedgerEntry(clean).validateSync();
    if (invalid) throw invalid;
    try {
      if (!opens) await this.m.LedgerEntry.create([clean]);
      else {
        const head = jsonClean(opens);
        const badHead = new this.m.ChainHead(head).validateSync();
        if (badHead) throw badHead;
        if (!this.sessions) throw new Error('MongoAccessLog: appendLedgerEntry with a chain head needs sessions');
        const { chainId, ...rest } = head;
        await runTransaction(
          () => this.sessions!.startSession(),
          async (session) => {
            await this.m.LedgerEntry.create([clean], { session });
            await this.m.ChainHead.updateOne({ chainId }, { $setOnInsert: rest }, { upsert: true, session });
          },
          { transactionOptions: transactionOptions(this.options), deadlineMs: operationBounds(this.options).operationTimeoutMS },
        );
      }
    } catch (err) {
      if (isDuplicateKey(err)) throw new StoreConflictError('LEDGER', String(entry.seq), entry.seq - 1, null);
      throw err;
    }
  }

  async chainIdsWithData(): Promise<string[]> {
    // Not distinct on the time-series records: the manual (Time Series Collection Limitations,
    // "distinct Command") says to avoid it there and group with an aggregation instead, which also
    // answers through a cursor rather than one 16 MB document. $exists keeps distinct's reading
    // (a document without the field names no chain).
    const grouped = this.m.AccessRecord.aggregate<{ _id: unknown }>([{ $match: { chainId: { $exists: true } } }, { $group: { _id: '$chainId' } }]);
    const [recordGroups, checkpoints, heads] = await Promise.all([grouped, this.m.Checkpoint.distinct('chainId'), this.m.ChainHead.distinct('chainId')]);
    const records = recordGroups.map((g) => g._id);
    // A chain id stored as another type than a string (only a hand-made document has one) gets a
    // label of its own: String() of a Binary would give the bytes of a real chain's id.
    return [...new Set([...records, ...checkpoints, ...heads].map(storedChainIdLabel))];
  }

  /**
   * Documents of the chain whose seq is not a number from 1 to beyondSeq (not a number at all,
   * missing, NaN, below 1 or beyond): readChain's numeric range never returns them. Through an
   * aggregation, which mongoose passes to the server uncast ($type and NaN reach it as written).
   */
  async unplacedRecords(chainId: string, beyondSeq: number): Promise<UnplacedRows> {
    const match = {
      chainId: String(chainId),
      $or: [
        { seq: { $not: { $type: 'number' } } },
        // NaN compares neither below 1 nor past the end ($in, as a double and as a decimal).
        { seq: { $in: [Number.NaN, Types.Decimal128.fromString('NaN')] } },
        { seq: { $lt: 1 } },
        { seq: { $gt: beyondSeq } },
        // A fraction (10000.5) falls between two read windows. $cond, not $and: the server may
        // evaluate $and's later operands even once an earlier one is false, and $trunc of a
        // non-number is an error (the docs of $and and $trunc), which would fail the verification.
        { $expr: { $cond: [{ $isNumber: '$seq' }, { $ne: [{ $trunc: ['$seq', 0] }, '$seq'] }, false] } },
      ],
    };
    // Only a prefix of a text seq and the type name of anything else come back, whatever its size.
    const shownSeq = { $cond: [{ $eq: [{ $type: '$seq' }, 'string'] }, { $substrCP: ['$seq', 0, 78] }, { $cond: [{ $isNumber: '$seq' }, '$seq', null] }] };
    const [facet] = (await this.m.AccessRecord.aggregate([
      { $match: match },
      { $facet: { count: [{ $count: 'n' }], samples: [{ $sort: { seq: 1 } }, { $limit: UNPLACED_SAMPLES }, { $project: { _id: 0, seq: shownSeq, type: { $type: '$seq' } } }] } },
    ])) as Array<{ count: Array<{ n: number }>; samples: Doc[] }>;
    const count = facet?.count[0]?.n ?? 0;
    const samples = (facet?.samples ?? []).map((d) => {
      const seq = d.seq;
      const shown = typeof seq === 'string' ? `'${seq}'` : seq === null || seq === undefined ? `(${String(d.type)})` : String(seq).slice(0, 80);
      return { shown, at: Number.isSafeInteger(Number(seq)) && typeof seq !== 'string' && Number(seq) >= 1 ? Number(seq) : null };
    });
    return { count, samples };
  }

  /**
   * None: MongoDB keeps its indexes in step with the documents itself (no write to a document or a
   * catalogue entry makes one disagree), and its `validate` command needs a privilege the
   * gateway's user should not hold.
   */
  async storageProblems(): Promise<string[]> {
    return [];
  }

  async nextStoredSeq(chainId: string, afterSeq: number): Promise<number | null> {
    const doc = (await this.m.AccessRecord.findOne({ chainId: String(chainId), seq: { $gt: afterSeq } }, { seq: 1 }).sort({ seq: 1 }).lean()) as Doc | null;
    const seq = doc ? Number(doc.seq) : Number.NaN;
    return Number.isFinite(seq) ? seq : null;
  }

  /** The fields queries filter by, as stored: the BSON `time` and `meta` are copies of the record's own values. */
  async indexedColumnsOf(chainId: string, fromSeq: number, toSeq: number): Promise<IndexedColumns[]> {
    const docs = (await this.m.AccessRecord.find({ chainId: String(chainId), seq: { $gte: fromSeq, $lte: toSeq }, ...WHOLE_SEQ }, { seq: 1, time: 1, meta: 1, developerId: 1, org: 1, operationName: 1, errorCodes: 1, clientDigests: 1 })
      .sort({ seq: 1 })
      .lean()) as Doc[];
    const sorted = (v: unknown) => [...new Set(Array.isArray(v) ? v.map(String) : [])].sort();
    return docs.map((d) => {
      const meta = (d.meta ?? {}) as Doc;
      return {
        seq: Number(d.seq),
        timeMs: d.time instanceof Date ? d.time.getTime() : Number.NaN,
        productId: (meta.productId as string | null | undefined) ?? null,
        developerId: (d.developerId as string | null | undefined) ?? null,
        org: (d.org as string | null | undefined) ?? null,
        decision: String(meta.decision),
        operationName: (d.operationName as string | null | undefined) ?? null,
        errorCodes: sorted(d.errorCodes),
        clientDigests: sorted(d.clientDigests),
      };
    });
  }

  async listChains(): Promise<ChainHead[]> {
    const docs = (await this.m.ChainHead.find({}).sort({ startedAt: 1, chainId: 1 }).lean()) as Doc[];
    return docs.map(toChainHead);
  }

  async checkpointsOf(chainId: string): Promise<Checkpoint[]> {
    const docs = (await this.m.Checkpoint.find({ chainId: String(chainId) }).sort({ seq: 1, time: 1, _id: 1 }).lean()) as Doc[];
    return docs.map(toCheckpoint);
  }

  /**
   * Records of one chain in seq order, as stored. An exact duplicate (same seq and hash, which
   * only a retry racing a still-running write could leave) is returned once; two different
   * records claiming one seq are both returned, for the verifier to report. `limit` counts
   * records, not documents: a skipped copy must not shorten the page, which a caller reads as
   * the chain's end (the writer's crashedEnd), so the read goes on past it.
   */
  async readChain(chainId: string, fromSeq: number, toSeq: number, limit?: number): Promise<ChainedAccessRecord[]> {
    if (limit !== undefined && !(limit >= 1)) return []; // MongoDB reads limit(0) as no limit
    const want = limit === undefined ? Number.POSITIVE_INFINITY : Math.floor(limit);
    const range = (seq: unknown): Doc => ({ chainId: String(chainId), seq, ...WHOLE_SEQ });
    const seen = new Set<string>();
    const out: ChainedAccessRecord[] = [];
    const take = (docs: Doc[]): void => {
      for (const doc of docs) {
        if (out.length >= want) return;
        const key = `${String(doc.seq)}\u0000${String(doc.hash)}`;
        if (seen.has(key)) continue;
        seen.add(key);
        out.push(documentToRecord(doc));
      }
    };
    // the (chainId, seq) index gives this order without an in-memory sort
    if (limit === undefined) {
      take((await this.m.AccessRecord.find(range({ $gte: fromSeq, $lte: toSeq })).sort({ seq: 1 }).lean()) as Doc[]);
      return out;
    }
    let seqs: Doc = { $gte: fromSeq, $lte: toSeq };
    for (;;) {
      const page = want - out.length;
      const docs = (await this.m.AccessRecord.find(range(seqs)).sort({ seq: 1 }).limit(page).lean()) as Doc[];
      take(docs);
      if (docs.length < page || out.length >= want) return out;
      // Copies were skipped. The limit may have cut the last seq's documents short: read the rest
      // of that seq, then go on past it.
      const lastSeq = docs[docs.length - 1]!.seq;
      take((await this.m.AccessRecord.find(range(lastSeq)).lean()) as Doc[]);
      if (out.length >= want) return out;
      seqs = { $gt: lastSeq, $lte: toSeq };
    }
  }

  async queryAccessLogs(filter: AccessLogFilter, page: { first: number; after?: string | null }): Promise<AccessLogPage> {
    const first = Math.max(0, Math.floor(page.first));
    if (first === 0) return { records: [], nextCursor: null };
    const match = matchOf(filter);
    const query = page.after ? { $and: [match, olderThan(decodeCursor(page.after))] } : match;
    const docs = (await this.m.AccessRecord.find(query).sort(NEWEST_FIRST).limit(first + 1).lean()) as Doc[];
    const pageDocs = docs.slice(0, first);
    const last = pageDocs[pageDocs.length - 1];
    return {
      records: pageDocs.map(documentToRecord),
      nextCursor:
        docs.length > first && last
          ? encodeCursor({ timeMs: (last.time as Date).getTime(), chainId: String(last.chainId), seq: Number(last.seq) })
          : null,
    };
  }

  async countAccessLogs(filter: AccessLogFilter): Promise<number> {
    return this.m.AccessRecord.countDocuments(matchOf(filter));
  }

  /** One aggregation: the filter, then a $facet with the total and each $group count. */
  async summarizeAccessLogs(filter: AccessLogFilter): Promise<AccessSummary> {
    const countBy = (key: unknown): PipelineStage.FacetPipelineStage[] => [
      { $group: { _id: key, count: { $sum: 1 } } },
      { $sort: { count: -1, _id: 1 } },
    ];
    const [result] = (await this.m.AccessRecord.aggregate([
      { $match: matchOf(filter) },
      {
        $facet: {
          total: [{ $count: 'n' }],
          byProduct: countBy({ $ifNull: ['$meta.productId', NO_PRODUCT_KEY] }),
          byDecision: countBy('$meta.decision'),
          // A code listed twice in one record counts once (SQLite keeps (record, code) unique).
          byCode: [{ $project: { code: { $setUnion: [{ $ifNull: ['$errorCodes', []] }, []] } } }, { $unwind: '$code' }, ...countBy('$code')],
        },
      },
    ])) as Array<{ total: Array<{ n: number }>; byProduct: Array<{ _id: string; count: number }>; byDecision: Array<{ _id: string; count: number }>; byCode: Array<{ _id: string; count: number }> }>;
    const list = (rows: Array<{ _id: string; count: number }> | undefined): CountBy[] => (rows ?? []).map((r) => ({ key: String(r._id), count: r.count }));
    return {
      total: result?.total[0]?.n ?? 0,
      byProduct: list(result?.byProduct),
      byDecision: list(result?.byDecision),
      byCode: list(result?.byCode),
    };
  }
}
