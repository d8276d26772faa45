/**
 * The access-log writer: numbers each record as it arrives (arrival order is seq order) and
 * commits records to the store with group commit, resolving each `append` only once the
 * transaction holding its record is committed. The gateway releases a response only after that,
 * so a crash cannot lose the record of anything a client received.
 *
 * - Off the event loop: a record is serialised once, as its canonical text with the chain id and
 *   its seq already in (prepareRecord, audit/chain.ts: one JSON.stringify in canonical key
 *   order), and the store links and hashes it where it commits it (`appendToChain`: the SQLite
 *   store on its write thread puts the previous hash in and takes one HMAC, no parsing). The
 *   writer keeps only the committed head.
 * - Group commit: a record arriving while nothing is in flight is committed at the end of the
 *   current turn of the event loop (with whatever else arrived in that turn; `batchWindowMs`, 0 by
 *   default, can make it wait longer for company). While a commit is in flight, new records queue
 *   and go together in the next one, so under load batches grow by themselves. When a commit
 *   completes with fewer than `gatherTarget` records queued, its requests resume first and the
 *   next batch waits up to `gatherTurns` turns of the event loop, for as long as each turn brings
 *   more records: each commit costs the process far more than each record in it, and on a busy
 *   core a handful of small commits cost more than the requests they hold. A turn that brings
 *   nothing ends the wait, so a lone record does not wait for company that is not coming.
 * - A batch sent ahead: under a flood (a whole batch, `maxBatch`, queued behind a commit) a store
 *   that commits appends in the order they were made (FollowingAppends: SQLite's write thread)
 *   is sent that batch at once, to follow the one it is committing onto whatever head it then
 *   holds, so it has the next batch the moment it finishes one instead of waiting for this event
 *   loop to hear of that commit (docs/performance.md, twenty-fourth pass: about a tenth more
 *   records/s at 1,000 in flight). One batch ahead at a time; a checkpoint due is signed first
 *   and rides in it (presign), so checkpoints do not stop the flow. The
 *   store refuses it, writing nothing, unless its head is where the batch follows: if the commit
 *   before fails, the batch goes back to the queue and is committed the ordinary way after it,
 *   so a record is still never committed after a gap.
 * - Failure: a failed batch is retried with exponential backoff (from `retryInitialMs` to
 *   `retryMaxMs`), the same batch, in order, with the seqs it already has (the store is idempotent
 *   on chainId + seq). Nothing accepted is dropped. Anything else that stops the pump (a store
 *   that answers wrongly, a programming error) stops the writer for good: the records it held
 *   are refused, every later append is refused, and the close signs nothing (see `failed`).
 * - Backpressure (fail closed): the buffer of uncommitted records is bounded; when it is full,
 *   `accepting()` is false and `append` rejects with AUDIT_UNAVAILABLE, and the gateway refuses
 *   data requests rather than serve data it cannot log.
 * - Checkpoints: signed and numbered (1, 2, 3…) at start (seq 0), after every
 *   `checkpointEvery` records, every `checkpointIntervalMs` (also when idle, so a verifier can
 *   tell a quiet period from removed records) and, marked final, on close. Between two
 *   checkpoints the records are protected by their keyed hashes alone (audit/chain.ts): that is
 *   the unprotected window, at most `checkpointEvery` records or `checkpointIntervalMs` (plus the
 *   batches in flight when the count is reached: one, or under a flood two). A checkpoint signs the committed head: the hash of
 *   a record is known only once the store has chained it, so a checkpoint due during traffic
 *   rides in the next batch's transaction and covers everything committed before it. A
 *   signature not ready within `checkpointSignTimeoutMs` is given up like a failed one: the
 *   checkpoint is skipped and the next one covers its records.
 * - The chain ledger (audit/ledger.ts): before its first record the writer announces its chain
 *   (OPEN); when it closes, after the final checkpoint, it records how the chain ended (CLOSE
 *   SHUTDOWN). At start it also closes, as CRASH, any chain whose writer is gone: one of its own
 *   instance id (a restart), or any whose last checkpoint is older than `abandonedAfterMs`. An
 *   open chain of its own instance id without a final checkpoint may still have a live writer
 *   (another gateway started with the same INSTANCE_ID), whatever its timestamps say (that
 *   gateway's clock may be behind this one's): the start waits `livenessMs` and looks again, and
 *   if the chain signed meanwhile it refuses to start (DuplicateInstanceError) instead of closing
 *   a live chain, whose later records would then read as written after its recorded end. A
 *   chain of another instance id that reads as silent for `abandonedAfterMs`, without a final
 *   checkpoint, gets the same wait (its host's clock may be behind): if it signs meanwhile it is
 *   left open.
 */
import { performance } from 'node:perf_hooks';
import { computeRecordHash, prepareRecord, type ChainBatch, type ChainPosition, type PreparedColumn, type PreparedRecord } from '../../audit/chain.js';
import { createCheckpointVerifier, signCheckpoint } from '../../audit/checkpoint.js';
import { endingOf, nextLedgerBody, readLedger as verifiedLedger, sealLedgerEntry, type LedgerChain, type LedgerEntryBody } from '../../audit/ledger.js';
import { GENESIS_HASH, type AccessRecord, type ChainedAccessRecord, type ChainHead, type Checkpoint } from '../../audit/record.js';
import { StoreConflictError } from '../../core/store-errors.js';
import { MAX_GATHER_TURNS } from '../../core/config.js';
import { CodedError } from '../../core/errors.js';
import type { SigningKey } from '../../core/keys.js';
import { createLogger, type Logger } from '../../core/logger.js';
import type { FollowingAppends, Store } from '../../store/port.js';

/** What the writer needs of the store. */
export type AccessLogStore = Pick<Store, 'openChain' | 'appendToChain' | 'appendCheckpoint' | 'readLedger' | 'appendLedgerEntry' | 'listChains' | 'checkpointsOf' | 'readChain'>;

/** Another writer is still signing a chain of this instance id: two gateways share one INSTANCE_ID. */
export class DuplicateInstanceError extends Error {
  override readonly name = 'DuplicateInstanceError';
  constructor(
    readonly instanceId: string,
    readonly chainId: string,
  ) {
    super(`Another gateway is still writing access-log chain ${chainId} as instance ${instanceId}: it signed a checkpoint while this one was starting. Give every gateway instance its own INSTANCE_ID (unset, it is the host name and process id); this one does not start, so that chain is not closed under a live writer.`);
  }
}

export interface AccessLogWriterOptions {
  /** A store that can also take a batch ahead (FollowingAppends, SQLite's) gets one under a flood (sendAhead). */
  store: AccessLogStore & Partial<FollowingAppends> & Partial<Pick<Store, 'chainIdsWithData'>>;
  /** This writer's chain (one per gateway instance and start; see audit/ids.ts newChainId). */
  chainId: string;
  instanceId: string;
  /** The gateway key: signs checkpoints and ledger entries. */
  signingKey: SigningKey;
  /** The key record hashes are computed under (audit/chain.ts chainKeyOf of the audit key). */
  chainKey: Buffer;
  /** How long the first record after an idle period waits for others to share its commit, beyond the end of the current event-loop turn, ms. Default 0. */
  batchWindowMs?: number;
  /** Most uncommitted records (queued + in flight); beyond it appends are refused. Default 10000. */
  bufferMax?: number;
  /**
   * Most records per store call (less than 1 counts as 1; not a finite number, the default). Default 500. Under a flood it keeps two or more batches going,
   * so the store commits one while the event loop resumes the requests of the one before and
   * gathers the next. Measured with 1,000 appends in flight (docs/performance.md): on two CPUs the
   * SQLite write thread is then busy ~100 % of the time against ~70 % with 2,000; on one CPU the
   * two caps are within the noise of each other.
   */
  maxBatch?: number;
  /**
   * Under load, a batch of fewer records than this waits for more (see gatherTurns). Default 64.
   * Measured on one core (docs/performance.md, sixth pass): batches of about 10 records cost the
   * enforced gateway 1.43–1.61× bare-http's CPU per request, gathered ones 1.19–1.39× (interleaved runs).
   */
  gatherTarget?: number;
  /**
   * The most event-loop turns such a batch waits, each only if the turn before brought records.
   * Default 16, at most MAX_GATHER_TURNS (1000); 0 sends what queued during a commit at once,
   * before that commit's requests resume.
   */
  gatherTurns?: number;
  /** A signed checkpoint at least this often, also when idle, ms. Default 1000. */
  checkpointIntervalMs?: number;
  /** A signed checkpoint after this many records at the latest. Default 1000. */
  checkpointEvery?: number;
  /** A chain of another instance whose last checkpoint is older than this is closed as crashed at start, ms. Default 60000 (at least 10 checkpoint intervals). */
  abandonedAfterMs?: number;
  /**
   * Adopt the chains of a store whose ledger is empty (ADOPT, plain SHA-256: a store written before
   * the ledger existed). Default false: a start refuses, since an emptied ledger would otherwise
   * turn every keyed chain into one anybody with the file can rewrite and rehash (review-audit).
   * Set once, for the upgrade of a store from before the ledger (AUDIT_ADOPT_LEGACY_CHAINS).
   */
  adoptLegacyChains?: boolean;
  /**
   * How long a start waits for an open chain of this instance id to sign again before it takes
   * the chain's writer for gone (checkpoints come every checkpointIntervalMs, also when idle; see
   * the file comment). Default 3 checkpoint intervals.
   */
  livenessMs?: number;
  /** Waits `ms` (the liveness wait at start; tests move their clock instead). Default a timer. */
  sleep?: (ms: number) => Promise<void>;
  /**
   * The longest a checkpoint's signature is waited for, ms; past it the checkpoint is skipped, as
   * when signing fails (the next one covers its records). Not the final checkpoint's, which
   * flushAndClose's deadline bounds. Default 1000; above 2^31 − 1 (Infinity) no limit.
   */
  checkpointSignTimeoutMs?: number;
  /** First retry delay after a store failure, ms; doubles per failure. Default 10. */
  retryInitialMs?: number;
  /** Longest retry delay, ms. Default 5000. */
  retryMaxMs?: number;
  /** Clock for record-independent times (chain start, checkpoints). Default Date.now. */
  now?: () => number;
  /** Default: a silent logger. */
  logger?: Logger;
  /** Called after each committed batch (monitor and metrics hook), with the records as `append` resolved them. Errors it throws are logged, never propagated. */
  onCommit?(records: ChainedAccessRecord[], commitMs: number): void;
}

/** The writer's longest retry delay by default, ms (`retryMaxMs`). */
export const DEFAULT_RETRY_MAX_MS = 5_000;

export interface AccessLogWriterStats {
  /** Records committed since start. */
  committed: number;
  /** Store calls that committed records. */
  batches: number;
  checkpoints: number;
  /** Failed store calls since start. */
  failures: number;
  /** Failed store calls since the last success (0 when healthy). */
  consecutiveFailures: number;
  /** When the first of those failures happened (the writer's clock, ms), or null when healthy. */
  retryingSinceMs: number | null;
  /** Duration of the last successful commit, ms (null before the first). */
  lastCommitMs: number | null;
  /** Highest seq committed. */
  committedSeq: number;
  /** Uncommitted records (queued + in flight). */
  depth: number;
  accepting: boolean;
  /** Stopped for good by an unexpected error (see `failed` in createAccessLogWriter): only a restart brings the log back. */
  failed?: boolean;
}

export interface AccessLogWriter {
  readonly chainId: string;
  /** Opens the chain and writes the seq-0 checkpoint. Throws if the store refuses. */
  start(): Promise<void>;
  /**
   * Numbers the record now (seq in arrival order); resolves once it is committed, with the same
   * record object completed by its chain fields (the writer takes the record: do not reuse or change it).
   * Rejects AUDIT_UNAVAILABLE when not accepting, and a CanonicalJsonError for a record that
   * cannot be hashed.
   */
  append(record: AccessRecord): Promise<ChainedAccessRecord>;
  /** False when the buffer is full (or the writer is not running): refuse data requests. */
  accepting(): boolean;
  /** Uncommitted records. */
  depth(): number;
  stats(): AccessLogWriterStats;
  /**
   * Stops accepting, commits everything buffered and writes a final checkpoint. If the store
   * stays down past `timeoutMs` (default 30000), the records still buffered are rejected with
   * AUDIT_UNAVAILABLE (their responses were never released) and this rejects.
   */
  flushAndClose(options?: { timeoutMs?: number }): Promise<void>;
}

interface Pending {
  seq: number;
  record: AccessRecord;
  /**
   * The record in its canonical text, with the values the store indexes (prepareRecord): what the
   * store chains. Null once handed to the store (chainBatchOf), which holds its own copy: the
   * texts of the records in flight are then not kept alive, and copied by every young-generation
   * collection, for a second time. A commit's retries reuse the batch they first handed over; a
   * batch sent ahead and refused is prepared again from its records for its ordinary commit, to
   * the same texts: prepareRecord is a pure function of the record, the chain id and the seq, and
   * the record is not touched until it is committed (`append`'s caller hands it over for good).
   */
  prepared: PreparedRecord | null;
  resolve(record: ChainedAccessRecord): void;
  reject(err: unknown): void;
}

/** A batch sent to the store while the one before it was still being committed (sendAhead). */
interface Ahead {
  batch: Pending[];
  /** Checkpoints that ride in its transaction (signed over records committed before it). */
  checkpoints: Checkpoint[];
  /** The store's answer; null if it refused the batch or failed. */
  answer: Promise<{ prevHash: string; hashes: string[] } | null>;
  sentAt: number;
}

/** What a commit started as it completed: the next commit, if records had queued meanwhile. */
interface Started {
  next: Promise<Started> | null;
}

class ClosingError extends Error {
  override readonly name = 'ClosingError';
}

const unavailable = (message: string) => new CodedError('AUDIT_UNAVAILABLE', message);
/** What an append accepted but never committed is refused with. */
const notWritten = () => unavailable('The access log could not be written.');
/** `value`, unless it is missing or NaN. */
const numberOr = (value: number | undefined, fallback: number): number => (value === undefined || Number.isNaN(value) ? fallback : value);

/** Records read at a time while following a crashed chain past its last signed checkpoint. */
const TAIL_PAGE = 1_000;
/** The most records a start follows past a crashed chain's last signed checkpoint (seconds of a busy gateway's records). */
const TAIL_LIMIT = 1_000_000;

/**
 * Where a crashed chain ended, as its CLOSE records it: from its last signed checkpoint (or its
 * start), the records stored after it for as long as each is the next seq, links to the one
 * before and hashes to its own hash under the chain's key (null: a chain from before keyed
 * hashes). The chain's head row is not read: nothing signs it, and an end taken from it (a seq
 * far past the records, a hash no record has, one cut back) would be signed into the ledger.
 * Records are read TAIL_PAGE rows at a time, so rows at fractional seqs cannot make one read huge.
 */
async function crashedEnd(store: AccessLogStore, chainId: string, signed: readonly Checkpoint[], key: Buffer | null): Promise<{ lastSeq: number; lastHash: string }> {
  const last = signed.reduce<Checkpoint | null>((best, c) => (best === null || c.seq > best.seq ? c : best), null);
  const from = last?.seq ?? 0;
  let seq = from;
  let hash = last?.hash ?? GENESIS_HASH;
  following: while (seq - from < TAIL_LIMIT) {
    const records = await store.readChain(chainId, seq + 1, from + TAIL_LIMIT, TAIL_PAGE);
    for (const r of records) {
      if (r.chainId !== chainId || r.seq !== seq + 1 || r.prevHash !== hash || !hashesTo(r, key)) break following;
      seq = r.seq;
      hash = r.hash;
    }
    if (records.length < TAIL_PAGE) break;
  }
  return { lastSeq: seq, lastHash: hash };
}

/** Whether a stored record hashes to its own hash (one that cannot be hashed at all does not). */
function hashesTo(record: ChainedAccessRecord, key: Buffer | null): boolean {
  try {
    return typeof record.hash === 'string' && computeRecordHash(record, key) === record.hash;
  } catch {
    return false;
  }
}

/** The longest delay setTimeout takes (a longer one fires at once). */
const MAX_TIMER_MS = 2_147_483_647;

export function createAccessLogWriter(options: AccessLogWriterOptions): AccessLogWriter {
  const { store, chainId, instanceId, signingKey } = options;
  const batchWindowMs = options.batchWindowMs ?? 0;
  const bufferMax = options.bufferMax ?? 10_000;
  // Not a finite number (Infinity included): the default, so that a batch is always bounded.
  const maxBatch = Number.isFinite(options.maxBatch) ? Math.max(1, Math.floor(options.maxBatch!)) : 500;
  // Not a number: the default. A target is at least 1 (which gathers nothing) and at most a batch.
  const gatherTarget = Math.min(maxBatch, Math.max(1, Math.floor(numberOr(options.gatherTarget, 64))));
  // A larger count, Infinity included, is MAX_GATHER_TURNS (the limit AUDIT_GATHER_TURNS has too).
  const gatherTurns = Math.min(MAX_GATHER_TURNS, Math.max(0, Math.floor(numberOr(options.gatherTurns, 16))));
  const checkpointIntervalMs = options.checkpointIntervalMs ?? 1_000;
  const checkpointEvery = Math.max(1, options.checkpointEvery ?? 1_000);
  const abandonedAfterMs = options.abandonedAfterMs ?? Math.max(60_000, 10 * checkpointIntervalMs);
  // Within what a timer can wait: past it Node waits 1 ms, and the start would not wait at all.
  const livenessMs = Math.min(MAX_TIMER_MS, options.livenessMs ?? 3 * checkpointIntervalMs);
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  // Past what a timer can wait (Infinity included): no limit. Not a positive number: the default.
  const signLimit = options.checkpointSignTimeoutMs ?? 1_000;
  const checkpointSignTimeoutMs = signLimit > MAX_TIMER_MS ? null : signLimit >= 1 ? signLimit : 1_000;
  const retryInitialMs = options.retryInitialMs ?? 10;
  const retryMaxMs = Math.max(retryInitialMs, options.retryMaxMs ?? DEFAULT_RETRY_MAX_MS);
  const now = options.now ?? Date.now;
  const logger = options.logger ?? createLogger({ level: 'silent', name: 'audit-log' });
  const iso = () => new Date(now()).toISOString();

  // A copy of its own: a Buffer may be a view of a larger pooled one, which would travel whole with every batch.
  const chainKey = new Uint8Array(options.chainKey);
  /** The seq the last appended record took. */
  let assignedSeq = 0;
  /** Number of the last checkpoint signed (the start checkpoint is 1). */
  let checkpointN = 0;
  let lastCheckpoint: { seq: number; n: number } = { seq: 0, n: 0 };
  let committedHead: ChainPosition = { seq: 0, hash: GENESIS_HASH };
  let state: 'new' | 'starting' | 'running' | 'closing' | 'closed' = 'new';
  const queue: Pending[] = [];
  /** The batch being committed (or retried). */
  let current: Pending[] = [];
  let pumping = false;
  let checkpointDue = false;
  /**
   * A due checkpoint signed for the next batch sent ahead (sendAhead), while it is being signed;
   * then it waits in `unsent` for the next batch to go, sent ahead or ordinary, which carries it.
   */
  let signing: Promise<void> | null = null;
  /** The seq the checkpoint being presigned covers, while it is signed. */
  let signingSeq: number | null = null;
  /** Signed checkpoints not yet handed to the store, oldest (lowest number) first. */
  const unsent: Checkpoint[] = [];
  /** Set by close: the next checkpoint (once nothing is queued) is the final one. */
  let finalDue = false;
  let checkpointTimer: NodeJS.Timeout | null = null;
  let idleWaiters: Array<() => void> = [];
  /** Set when flushAndClose gives up: stops retrying and wakes a sleeping retry. */
  let abandon: ((err: Error) => void) | null = null;
  let abandoned: Error | null = null;
  const stats = { committed: 0, batches: 0, checkpoints: 0, failures: 0, consecutiveFailures: 0, retryingSinceMs: null as number | null, lastCommitMs: null as number | null };

  /**
   * A store that commits appends one after another in the order they were made can take a batch
   * before the one ahead of it has committed (FollowingAppends; see sendAhead).
   */
  const appendAfter = typeof store.appendToChainAfter === 'function' ? (batch: ChainBatch, checkpoints: Checkpoint[]) => store.appendToChainAfter!(batch, checkpoints) : null;
  /** The batch sent ahead of the commit in flight, and the store's answer (null: refused or failed). */
  let ahead: Ahead | null = null;
  /** The last seq of the batch being committed, while a full batch may be sent to follow it (sendAhead). */
  let followable: number | null = null;
  /** The store refused a batch sent ahead: none is sent again until an ordinary commit succeeds. */
  let aheadRefused = false;

  const depth = () => queue.length + current.length + (ahead ? ahead.batch.length : 0);
  /**
   * Set when the pump stopped on an error other than the close deadline (a store that answers
   * wrongly, a programming error). What it was committing may or may not be in the store, and
   * the seqs of the records it refused are spent, so the chain cannot go on: every later append
   * is refused (the gateway refuses data requests, and is not ready), and the close writes
   * neither a final checkpoint nor a CLOSE, so the next start closes the chain as crashed from
   * the records actually stored.
   */
  let failed: unknown = null;
  const accepting = () => state === 'running' && failed === null && depth() < bufferMax;

  /** Waits `ms`, or rejects early when the writer is abandoned. */
  function pause(ms: number): Promise<void> {
    if (abandoned) return Promise.reject(abandoned);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        abandon = null;
        resolve();
      }, ms);
      abandon = (err) => {
        clearTimeout(timer);
        abandon = null;
        reject(err);
      };
    });
  }

  /** Resolves once the current turn of the event loop (its I/O callbacks and microtasks) is over. */
  function nextTurn(): Promise<void> {
    return new Promise((resolve) => setImmediate(resolve));
  }

  /**
   * Whether the records queued behind a commit should wait for more before they go (gatherTurns).
   * Not once the buffer is full (accepting() false): no more can come, and the appends refused
   * meanwhile would be refused while the store sits idle.
   */
  function gathering(): boolean {
    return gatherTurns > 0 && !abandoned && queue.length > 0 && queue.length < gatherTarget && accepting();
  }

  /** Lets up to gatherTurns turns of the event loop pass while each brings records and the batch is still small. */
  async function gather(): Promise<void> {
    for (let turn = 0, before = -1; turn < gatherTurns && queue.length !== before && gathering(); turn++) {
      before = queue.length;
      await nextTurn();
    }
  }

  /** Runs one store call until it succeeds; returns its duration in ms. */
  async function withRetry(what: string, call: () => Promise<void>): Promise<number> {
    let delay = retryInitialMs;
    for (;;) {
      if (abandoned) throw abandoned;
      const started = performance.now();
      try {
        await call();
        stats.consecutiveFailures = 0;
        stats.retryingSinceMs = null;
        return performance.now() - started;
      } catch (err) {
        stats.failures += 1;
        stats.consecutiveFailures += 1;
        stats.retryingSinceMs ??= now();
        // Warn once per outage, then at most once per backoff ceiling, so a long outage does not flood the log.
        if (stats.consecutiveFailures === 1 || delay >= retryMaxMs) {
          logger.error({ err, chainId, depth: depth(), failures: stats.consecutiveFailures }, `access log ${what} failed; retrying`);
        }
        await pause(delay);
        delay = Math.min(delay * 2, retryMaxMs);
      }
    }
  }

  /** Time of the last checkpoint signed, ms: each next one is later (see checkpointTime). */
  let lastCheckpointMs = Number.NEGATIVE_INFINITY;
  /**
   * A checkpoint's time, strictly after the previous one's. Stores keep a checkpoint once per
   * (chainId, seq, time), so two at the same head within one millisecond (a due one, then the
   * final one at close) would be one stored under two numbers: the ledger would then name a
   * checkpoint the store does not hold.
   */
  function checkpointTime(): string {
    lastCheckpointMs = Math.max(now(), lastCheckpointMs + 1);
    return new Date(lastCheckpointMs).toISOString();
  }

  async function checkpointAt(position: ChainPosition, final = false): Promise<Checkpoint | null> {
    const n = ++checkpointN;
    let timer: NodeJS.Timeout | undefined;
    try {
      const signing = signCheckpoint(signingKey, { chainId, seq: position.seq, hash: position.hash, time: checkpointTime(), n, final });
      // The final checkpoint holds no response (every record has resolved) and flushAndClose's
      // deadline bounds it; skipping it would leave a clean shutdown without its final checkpoint.
      if (final || checkpointSignTimeoutMs === null) return await signing;
      signing.catch(() => {}); // one given up on below settles with nobody waiting
      // A batch, and the appends of the batch before it, wait for this signature: a signer that
      // stalls (a saturated thread pool, say) must not hold them for longer than this.
      const limitMs = checkpointSignTimeoutMs;
      const stalled = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`signing took longer than ${limitMs} ms`)), limitMs);
      });
      return await Promise.race([signing, stalled]);
    } catch (err) {
      // A checkpoint is evidence, not data: failing to sign one must not hold records back. Its
      // number goes back unless a later one was taken meanwhile: the verifier reads a hole in the
      // numbering as a checkpoint removed.
      if (checkpointN === n) checkpointN = n - 1;
      logger.error({ err, chainId }, 'access log checkpoint could not be signed');
      return null;
    } finally {
      clearTimeout(timer);
    }
  }

  function noteCheckpoint(checkpoint: Checkpoint): void {
    stats.checkpoints += 1;
    lastCheckpoint = { seq: checkpoint.seq, n: checkpoint.n ?? 0 };
  }

  /** The ledger as this writer last read and verified it (readLedgerView), kept up to date with what it appends itself. */
  interface LedgerView {
    /** The last entry whose hash and signature verify. */
    head: { seq: number; hash: string } | null;
    /** The chains signed entries name. */
    chains: Map<string, LedgerChain>;
    /** Every seq a stored row holds, signed or not. */
    taken: Set<number>;
  }

  async function readLedgerView(): Promise<LedgerView> {
    const rows = await store.readLedger();
    const reading = await verifiedLedger(rows, signingKey.publicJwks);
    return { head: reading.head, chains: reading.chains, taken: new Set(rows.map((r) => r.seq).filter((seq) => Number.isSafeInteger(seq))) };
  }

  /**
   * Appends a ledger entry after the last one the gateway's key signed, at the first seq past it
   * that no row holds; another writer taking that seq first is a conflict, answered by reading
   * the ledger again (a few writers starting together). Rows that do not verify decide nothing
   * here (the verifier reports them): an unsigned CLOSE does not stand in for the real one, and
   * rows past the signed end (at 2^53, or at each of the next seqs) do not stop a start. `view`
   * is read once and kept up to date, so a start that writes many entries reads the ledger once.
   */
  async function appendToLedger(entry: Omit<LedgerEntryBody, 'seq' | 'prevHash'>, given?: LedgerView, opens?: ChainHead): Promise<void> {
    const view = given ?? (await readLedgerView());
    for (let attempt = 0; ; attempt++) {
      // Several gateways starting together may each decide to adopt or close the same chain: the
      // first to append it wins, and the others, reading the ledger again, find it there.
      const chain = view.chains.get(entry.chainId);
      if ((entry.kind === 'ADOPT' && chain) || (entry.kind === 'CLOSE' && chain?.closed)) return;
      let seq = (view.head?.seq ?? 0) + 1;
      while (view.taken.has(seq)) seq += 1;
      const sealed = await sealLedgerEntry(signingKey, nextLedgerBody(view.head, entry, seq));
      try {
        await (opens ? store.appendLedgerEntry(sealed, opens) : store.appendLedgerEntry(sealed));
      } catch (err) {
        if (!(err instanceof StoreConflictError) || attempt >= 20) throw err;
        Object.assign(view, await readLedgerView());
        continue;
      }
      view.head = { seq, hash: sealed.hash };
      view.taken.add(seq);
      const named = view.chains.get(sealed.chainId);
      if (sealed.kind === 'CLOSE') {
        if (named) named.closed = sealed;
      } else view.chains.set(sealed.chainId, { chainId: sealed.chainId, instanceId: sealed.instanceId, opened: sealed, closed: null, hashAlg: sealed.hashAlg });
      return;
    }
  }

  /**
   * Before this writer's chain opens: adopts the chains of a store written before the ledger
   * existed, and closes as CRASH every chain whose writer is gone (a restart of this instance,
   * or a chain silent for `abandonedAfterMs`), recording how far each got.
   */
  async function settleLedger(view: LedgerView): Promise<void> {
    const heads = await store.listChains();
    // Chains are counted by their records too: the head rows are unsigned, and one who empties the
    // ledger deletes them as easily (the records stay, and the next start would open a new ledger).
    const found = view.taken.size === 0 && options.adoptLegacyChains !== true ? heads.length || ((await store.chainIdsWithData?.()) ?? []).length : 0;
    if (found > 0) {
      // Another gateway starting together may have opened its chain (its OPEN and head in one
      // transaction) after this start read the ledger: read it again after counting. Ledger rows
      // are never removed, so a ledger still empty now was empty when the chains were counted.
      const again = await readLedgerView();
      if (again.taken.size > 0) {
        Object.assign(view, again);
        return settleLedger(view);
      }
      throw new Error(
        `access log: the chain ledger is empty, yet the store holds ${found} chain${found === 1 ? '' : 's'}: either the ledger was deleted (restore the store from a backup and verify it with --trusted-ledger) or this store was written before the ledger existed (start once with AUDIT_ADOPT_LEGACY_CHAINS=true to adopt its chains as plain SHA-256 chains)`,
      );
    }
    if (view.taken.size === 0) {
      for (const head of heads) await appendToLedger({ kind: 'ADOPT', chainId: head.chainId, instanceId: head.instanceId, time: iso(), hashAlg: 'sha256', ending: null }, view);
    }
    // Only entries whose hash and signature verify say which chains are open: a row edited in the
    // store (an OPEN turned CLOSE, another instance id) must not keep a dead chain from its CLOSE.
    const opened = [...view.chains.values()].filter((c) => c.closed === null).map((c) => c.opened);
    const verify = createCheckpointVerifier(signingKey.publicJwks);
    /** A chain's checkpoints this gateway's key signed, and when it was last heard of. */
    const signedOf = async (entry: LedgerChain['opened']) => {
      // Only checkpoints this gateway's key signed, at a seq a chain can have: a row someone wrote
      // into the store (a final one, to stop this CLOSE; one at seq Infinity, to make signing it
      // fail) must decide nothing here. The verifier judges the same rows the same way.
      const checkpoints: Checkpoint[] = [];
      for (const c of await store.checkpointsOf(entry.chainId)) if (Number.isSafeInteger(c.seq) && c.seq >= 0 && (c.n === undefined || Number.isSafeInteger(c.n)) && (await verify(c)).ok) checkpoints.push(c);
      // An ADOPT's time is when a start adopted the chain, not when its writer was last heard of: only its checkpoints say that.
      const lastSigned = checkpoints.reduce((max, c) => Math.max(max, Date.parse(c.time) || 0), entry.kind === 'ADOPT' ? 0 : Date.parse(entry.time) || 0);
      return { checkpoints, lastSigned };
    };
    const t = now();
    const gone: Array<{ entry: LedgerChain['opened']; checkpoints: Checkpoint[] }> = [];
    const lately: Array<{ entry: LedgerChain['opened']; checkpoints: Checkpoint[]; own: boolean }> = [];
    for (const entry of opened) {
      if (entry.chainId === chainId) continue;
      const { checkpoints, lastSigned } = await signedOf(entry);
      const own = entry.instanceId === instanceId;
      if (!own && t - lastSigned < abandonedAfterMs) continue; // another instance's live chain
      // Not shut down: a restart after a crash, another gateway given the same INSTANCE_ID, or
      // (another instance id, silent by its timestamps) a live gateway whose clock is behind this
      // one's. Whenever it last signed by its timestamps: another host's clock may be behind this
      // one by any amount, so only whether it signs again tells.
      if (!checkpoints.some((c) => c.final)) lately.push({ entry, checkpoints, own });
      else gone.push({ entry, checkpoints });
    }
    if (lately.length) {
      logger.info({ chains: lately.map((l) => l.entry.chainId), waitMs: livenessMs }, 'access log: an open chain that may still have a writer; waiting to see whether it signs again');
      // One whole window from now: a live writer signs within it whatever its clock says.
      await sleep(livenessMs);
      for (const l of lately) {
        const again = await signedOf(l.entry);
        // Signed again, and not its final checkpoint: still running. A final one is a writer that
        // shut down meanwhile (a restart begun before the old process had finished closing): its
        // chain ended cleanly, and is closed below from that checkpoint.
        if (again.checkpoints.length > l.checkpoints.length && !again.checkpoints.some((c) => c.final)) {
          if (l.own) throw new DuplicateInstanceError(instanceId, l.entry.chainId);
          logger.warn({ chainId: l.entry.chainId, instanceId: l.entry.instanceId }, 'access log: a chain whose checkpoints read as abandoned signed again; its host\'s clock is behind this one\'s, and it is left open');
          continue;
        }
        gone.push({ entry: l.entry, checkpoints: again.checkpoints });
      }
    }
    for (const { entry, checkpoints } of gone) {
      const final = checkpoints.find((c) => c.final);
      if (final) {
        // Shut down cleanly, but its CLOSE was never written (the store was down at the end, or the
        // process was killed between the two): the signed final checkpoint says exactly how it
        // ended, so the CLOSE its writer would have written is written now.
        const ending = { how: 'SHUTDOWN' as const, lastSeq: final.seq, lastHash: final.hash, lastCheckpointSeq: final.seq, lastCheckpointN: final.n ?? 0, unsignedRecords: 0 };
        await appendToLedger({ kind: 'CLOSE', chainId: entry.chainId, instanceId: entry.instanceId, time: iso(), hashAlg: null, ending }, view);
        logger.info({ chainId: entry.chainId, lastSeq: final.seq }, 'access log: a previous chain shut down without its ledger CLOSE; recorded from its final checkpoint');
        continue;
      }
      const ending = endingOf('CRASH', await crashedEnd(store, entry.chainId, checkpoints, view.chains.get(entry.chainId)?.hashAlg === 'hmac-sha256' ? options.chainKey : null), checkpoints);
      await appendToLedger({ kind: 'CLOSE', chainId: entry.chainId, instanceId: entry.instanceId, time: iso(), hashAlg: null, ending }, view);
      logger.warn({ chainId: entry.chainId, ...ending }, 'access log: a previous chain ended without a final checkpoint; recorded as crashed');
    }
  }

  /**
   * Commits the next batch (and any checkpoint due). Resolves, once committed, to the commit it
   * started as it completed, if any: each commit is reachable only through the one before, so
   * the pump awaits every one of them, in order.
   */
  async function commitNextBatch(handedOver?: () => void): Promise<Started> {
    // Abandoned at the close deadline: nothing more is signed or sent (a store call that was in
    // flight may still commit; its records were refused all the same).
    if (abandoned) {
      handedOver?.(); // the batch before does not wait for a hand-over that will not come
      throw abandoned;
    }
    const batch = queue.splice(0, maxBatch);
    current = batch;
    let checkpoint: Checkpoint | null = null;
    // The final checkpoint covers every record, so it waits until nothing is left to commit.
    const final = finalDue && batch.length === 0;
    try {
      // A checkpoint being signed for a batch to be sent ahead: this batch carries it instead, and
      // a due one over the head it already covers (the interval's timer fired meanwhile) is not signed twice.
      if (signing) await signing;
      if (checkpointDue && !final && unsent.some((c) => c.seq === committedHead.seq)) checkpointDue = false;
      if (checkpointDue || final) {
        checkpointDue = false;
        if (final) finalDue = false;
        checkpoint = await checkpointAt(committedHead, final);
      }
    } finally {
      // The batch goes to the store in this turn of the event loop (withRetry below calls it at once).
      handedOver?.();
    }
    const checkpoints = unsent.splice(0);
    if (checkpoint) checkpoints.push(checkpoint);
    try {
      if (batch.length) {
        const head = committedHead;
        // While this batch commits, a full one may be sent to follow it (sendAhead).
        followable = batch.at(-1)!.seq;
        let hashes: string[] = [];
        // Built once: a retry hands the store the same texts. A batch sent ahead, refused and put
        // back is prepared again here, outside the retries: should that throw (a programming
        // error), the writer stops (`failed`) rather than retry it as a store outage.
        const chained = chainBatchOf(batch, head);
        // The store has the batch once this returns (withRetry calls it at once).
        const commit = withRetry('commit', async () => {
          hashes = await store.appendToChain(chained, checkpoints);
        });
        sendAhead(); // a full batch queued already goes after it at once
        const commitMs = await commit;
        aheadRefused = false;
        return await committed(batch, head, hashes, commitMs, checkpoints);
      }
      for (const cp of checkpoints) {
        await withRetry('checkpoint', () => store.appendCheckpoint(cp));
        noteCheckpoint(cp);
      }
    } catch (err) {
      putBack(batch);
      throw err;
    }
    return { next: null };
  }

  /**
   * A batch whose commit ended in an error, before the pump stops on it. Only abandonment (close
   * timeout) ends a retry loop: its records were refused at the deadline. Anything else puts the
   * batch back at the front, so the pump's rejection reaches every record still buffered instead
   * of leaving its appends pending in `current`.
   */
  function putBack(batch: Pending[]): void {
    current = [];
    if (abandoned) {
      for (const p of batch) p.reject(notWritten());
      dropAhead();
    } else {
      followable = null;
      queue.unshift(...batch);
    }
  }

  /** Refuses every record not yet committed (the close: after a failure, or at its deadline). */
  function refuseAll(): void {
    for (const p of [...current, ...queue.splice(0)]) p.reject(notWritten());
    current = []; // refused: no longer uncommitted records (depth), whatever a store call still in progress does
    dropAhead();
  }

  /**
   * A batch as the store chains it, onto `head` (the records' canonical texts and indexed values,
   * see prepareRecord). The batch's records let go of their prepared texts: the store has them now
   * (see Pending.prepared).
   */
  function chainBatchOf(batch: Pending[], head: ChainPosition): ChainBatch {
    const texts: string[] = new Array(batch.length);
    const cuts: number[] = new Array(batch.length);
    const columns: PreparedColumn[] = [];
    for (let i = 0; i < batch.length; i++) {
      const pending = batch[i]!;
      const prepared = pending.prepared ?? prepareRecord(pending.record, chainId, pending.seq);
      pending.prepared = null;
      texts[i] = prepared.text;
      cuts[i] = prepared.cut;
      for (const value of prepared.columns) columns.push(value);
    }
    return { chainId, head, key: chainKey, records: texts, prepared: { cuts, columns } };
  }

  /**
   * A batch the store has committed onto `head`: its records become what was committed, the head
   * moves, and its appenders resume. Resolves to the commit it started first, if any: the batch
   * sent ahead of it, or what queued meanwhile.
   */
  async function committed(batch: Pending[], head: ChainPosition, hashes: string[], commitMs: number, checkpoints: readonly Checkpoint[]): Promise<Started> {
    if (hashes.length !== batch.length) throw new Error(`access log: the store chained ${hashes.length} of ${batch.length} records`);
    // The records become what was committed: completed in place, no copies on the event loop.
    const records = batch.map((p, i) => {
      const record = p.record as ChainedAccessRecord;
      record.chainId = chainId;
      record.seq = p.seq;
      record.prevHash = i === 0 ? head.hash : hashes[i - 1]!;
      record.hash = hashes[i]!;
      return record;
    });
    committedHead = { seq: batch.at(-1)!.seq, hash: hashes.at(-1)! };
    stats.committed += batch.length;
    stats.batches += 1;
    stats.lastCommitMs = commitMs;
    for (const c of checkpoints) noteCheckpoint(c);
    // Count-bound window: a checkpoint after every `checkpointEvery` records, in the next commit,
    // counted from the newest checkpoint committed or on its way (being signed, signed and not yet
    // sent, or in the batch sent ahead): one on its way that covers enough of the head stands,
    // one that has fallen behind it does not (a signature slower than a commit).
    if (committedHead.seq - coveredSeq() >= checkpointEvery) checkpointDue = true;
    current = [];
    let started: Started = { next: null };
    if (ahead) {
      // The batch sent ahead is being committed (or refused) already: it is next, and a full
      // batch may be sent to follow it in turn.
      const next = ahead;
      ahead = null;
      current = next.batch;
      followable = next.batch.at(-1)!.seq;
      started = { next: finishAhead(next) };
      sendAhead();
    } else {
      followable = null;
      // What queued during this commit goes to the store before this batch's appenders run, so
      // the store commits it while they do their work (its head is known: this batch's end).
      // A checkpoint due rides in that commit and is signed first (jose signs asynchronously):
      // the appenders wait for the hand-over, a fraction of a millisecond, so the store does not
      // wait for them (a whole batch of request handling) before it gets the next batch. A
      // small queue instead waits for company after the appenders have run (the pump gathers).
      if (queue.length > 0 && !gathering()) {
        let handedOver!: () => void;
        const handed = new Promise<void>((resolve) => (handedOver = resolve));
        started = { next: commitNextBatch(handedOver) };
        await handed;
      }
    }
    for (let i = 0; i < batch.length; i++) batch[i]!.resolve(records[i]!);
    if (options.onCommit) {
      try {
        options.onCommit(records, commitMs);
      } catch (err) {
        logger.error({ err }, 'access log onCommit hook failed');
      }
    }
    return started;
  }

  /**
   * Sends a full batch to the store while the one before it is still being committed, when the
   * store can take it (FollowingAppends): the store then has the next batch the moment it
   * finishes one, instead of waiting for this event loop to hear of that commit and send the
   * next. Only under a flood (a whole batch queued behind a commit), and one batch ahead at a
   * time. A checkpoint due is signed first (presign) and rides in the batch's transaction.
   */
  function sendAhead(): void {
    if (!appendAfter || ahead || followable === null || aheadRefused || finalDue || abandoned || state !== 'running') return;
    if (queue.length < maxBatch || queue[0]!.seq !== followable + 1) return;
    if (checkpointDue) {
      presign();
      return;
    }
    if (signing) return; // sent once the signature is ready (presign)
    const batch = queue.splice(0, maxBatch);
    const checkpoints = unsent.splice(0);
    const sentAt = performance.now();
    let answer: Ahead['answer'];
    try {
      answer = appendAfter(chainBatchOf(batch, { seq: followable, hash: '' }), checkpoints).catch(() => null);
    } catch {
      // Thrown at once rather than rejected: refused all the same (its records are not lost, nor is the append that called this rejected).
      answer = Promise.resolve(null);
    }
    ahead = { batch, checkpoints, answer, sentAt };
    followable = null;
  }

  /** The highest seq a checkpoint committed or on its way (see `signing`, `unsent`, the batch sent ahead) covers. */
  function coveredSeq(): number {
    let seq = Math.max(lastCheckpoint.seq, signingSeq ?? 0);
    for (const c of unsent) seq = Math.max(seq, c.seq);
    for (const c of ahead?.checkpoints ?? []) seq = Math.max(seq, c.seq);
    return seq;
  }

  /**
   * Signs the checkpoint due over the head committed so far, for the next batch sent ahead to
   * carry: under a flood every batch goes ahead, and without this a checkpoint every
   * `checkpointEvery` records would stop the flow each time, for an ordinary commit to carry it
   * (about a tenth of the records/s at 1,000 in flight). Once signed, sendAhead is tried again;
   * an ordinary commit that starts meanwhile waits for the signature and carries it instead. A
   * signature given up on (checkpointAt returns null) is skipped as on the ordinary path.
   */
  function presign(): void {
    if (signing || !checkpointDue) return;
    checkpointDue = false;
    signingSeq = committedHead.seq;
    signing = checkpointAt(committedHead).then((checkpoint) => {
      signing = null;
      signingSeq = null;
      if (checkpoint) unsent.push(checkpoint);
      sendAhead();
      kick(); // the pump may have gone idle meanwhile: the checkpoint still goes, alone if need be
    });
  }

  /**
   * The answer to a batch sent ahead, once every batch before it has committed. Refused (the
   * batch before it had not committed when the store took it up) or failed: it goes back to the
   * front of the queue, with any batch sent after it, and is committed the ordinary way.
   */
  async function finishAhead(sent: Ahead): Promise<Started> {
    const answer = await sent.answer;
    if (abandoned) throw abandoned; // its records were refused at the deadline
    if (answer && answer.prevHash === committedHead.hash) {
      try {
        return await committed(sent.batch, committedHead, answer.hashes, performance.now() - sent.sentAt, sent.checkpoints);
      } catch (err) {
        putBack(sent.batch);
        throw err;
      }
    }
    // The batch that followed this one stays `ahead` while its answer is awaited: counted in
    // depth(), and refused by the close deadline (dropAhead) if it passes meanwhile.
    const after = ahead;
    if (after) await after.answer; // it followed this one, so it was refused too; either way it goes again, in order
    ahead = null;
    if (abandoned) throw abandoned;
    current = [];
    followable = null;
    aheadRefused = true;
    queue.unshift(...sent.batch, ...(after?.batch ?? []));
    // Their checkpoints were not written either: the next commit carries them, in their order.
    unsent.unshift(...sent.checkpoints, ...(after?.checkpoints ?? []));
    return { next: null };
  }

  /** Refuses the records of a batch sent ahead whose answer will not be waited for; none follows again until a batch is sent. */
  function dropAhead(): void {
    followable = null;
    if (!ahead) return;
    for (const p of ahead.batch) p.reject(notWritten());
    ahead = null;
  }

  async function pump(): Promise<void> {
    let idleBefore = true;
    try {
      let following: Promise<Started> | null = null;
      while (following || queue.length > 0 || checkpointDue || finalDue || signing || unsent.length > 0) {
        if (!following) {
          // From idle, the commit starts once this turn of the event loop is over, with every
          // record appended in it (and after `batchWindowMs` more, if set). A few records that
          // queued behind a commit wait while more keep coming (gather).
          if (idleBefore && queue.length > 0) await (batchWindowMs > 0 ? pause(batchWindowMs) : nextTurn());
          else if (!idleBefore) await gather();
          idleBefore = false;
          following = commitNextBatch();
        }
        // A commit that completed may have started the next one (commitNextBatch).
        following = (await following).next;
      }
    } catch (err) {
      if (!(err instanceof ClosingError)) {
        failed = err;
        logger.error({ err, chainId }, 'access log writer stopped unexpectedly; it refuses every record from now on (restart the gateway)');
      }
      for (const p of queue.splice(0)) p.reject(notWritten());
      dropAhead();
    } finally {
      pumping = false;
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const wake of waiters) wake();
    }
  }

  function kick(): void {
    if (pumping || abandoned || failed !== null) return;
    pumping = true;
    void pump();
  }

  function idle(): Promise<void> {
    if (!pumping) return Promise.resolve();
    return new Promise((resolve) => idleWaiters.push(resolve));
  }

  let closing: Promise<void> | null = null;

  return {
    chainId,

    async start() {
      if (state !== 'new') throw new Error('access log writer: start() called twice');
      state = 'starting';
      try {
        const view = await readLedgerView();
        await settleLedger(view);
        // Taken after settling, which may wait livenessMs: the OPEN and the first checkpoint say
        // when this chain was last heard of, and a time from before the wait would make a start
        // of another gateway with this INSTANCE_ID take this live chain for a dead one.
        const startedAt = iso();
        // Announced with its head in one transaction, before anything is written to it: a chain can
        // never exist unlisted, nor be listed without its head (a crash between the two left a
        // ledger OPEN that the verifier reported as CHAIN_MISSING for ever).
        await appendToLedger({ kind: 'OPEN', chainId, instanceId, time: startedAt, hashAlg: 'hmac-sha256', ending: null }, view, { chainId, instanceId, startedAt, lastSeq: 0, lastHash: GENESIS_HASH, updatedAt: startedAt });
        lastCheckpointMs = Date.parse(startedAt);
        const first = await signCheckpoint(signingKey, { chainId, seq: 0, hash: GENESIS_HASH, time: startedAt, n: ++checkpointN, final: false });
        await store.appendCheckpoint(first);
        noteCheckpoint(first);
      } catch (err) {
        state = 'new';
        throw err;
      }
      if (state !== 'starting') return; // closed while starting: stay closed
      state = 'running';
      checkpointTimer = setInterval(() => {
        checkpointDue = true;
        kick();
      }, checkpointIntervalMs);
      checkpointTimer.unref();
    },

    append(record) {
      if (state !== 'running' || failed !== null) return Promise.reject(unavailable('The access log is not accepting records.'));
      if (depth() >= bufferMax) return Promise.reject(unavailable('The access log buffer is full.'));
      let prepared: PreparedRecord;
      const seq = assignedSeq + 1;
      try {
        prepared = prepareRecord(record, chainId, seq);
      } catch (err) {
        return Promise.reject(err); // a record that cannot be hashed is a programming error
      }
      assignedSeq = seq;
      return new Promise<ChainedAccessRecord>((resolve, reject) => {
        queue.push({ seq, record, prepared, resolve, reject });
        kick();
        if (queue.length >= maxBatch) sendAhead();
      });
    },

    accepting,
    depth,

    stats() {
      return { ...stats, committedSeq: committedHead.seq, depth: depth(), accepting: accepting(), failed: failed !== null };
    },

    flushAndClose({ timeoutMs = 30_000 } = {}) {
      if (closing) return closing;
      if (state === 'new' || state === 'starting') {
        state = 'closed';
        closing = Promise.resolve();
        return closing;
      }
      state = 'closing';
      if (checkpointTimer) clearInterval(checkpointTimer);
      if (failed !== null) {
        // Nothing signed after a failure (see `failed`): the next start closes the chain as crashed.
        refuseAll();
        state = 'closed';
        closing = Promise.resolve();
        return closing;
      }
      const drain = (async () => {
        await idle();
        kick(); // anything queued while the pump was winding down
        await idle();
        // The pump failed while draining (see `failed`): as for a failure before the close, nothing is signed and no CLOSE written.
        if (failed !== null) return;
        finalDue = true; // the final checkpoint, covering every record
        kick();
        await idle();
        if (failed !== null) return;
        // The ledger says the chain ended here, cleanly: nothing may follow the final checkpoint.
        const ending = { how: 'SHUTDOWN' as const, lastSeq: committedHead.seq, lastHash: committedHead.hash, lastCheckpointSeq: lastCheckpoint.seq, lastCheckpointN: lastCheckpoint.n, unsignedRecords: Math.max(0, committedHead.seq - lastCheckpoint.seq) };
        await withRetry('ledger close', () => appendToLedger({ kind: 'CLOSE', chainId, instanceId, time: iso(), hashAlg: null, ending }));
      })();
      let timer: NodeJS.Timeout | null = null;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          abandoned = new ClosingError(`access log: store unavailable, ${depth()} records not committed at close`);
          if (abandon) abandon(abandoned);
          reject(abandoned);
        }, timeoutMs);
      });
      closing = Promise.race([drain, deadline]).then(
        () => {
          if (timer) clearTimeout(timer);
          state = 'closed';
        },
        (err: unknown) => {
          if (timer) clearTimeout(timer);
          // Not waiting for the pump: a store call that never returns must not hold shutdown.
          // The records' responses were never released, so refusing them loses nothing served.
          refuseAll();
          state = 'closed';
          throw err;
        },
      );
      return closing;
    },
  };
}
