/**
 * The register in MongoDB: developers, products, client authorisations, their append-only
 * history and the global revision counter.
 *
 * Why two changes can never share a revision: every change runs in one multi-document
 * transaction (runTransaction in transaction.ts, the driver's convenient-transaction loop with our
 * deadline) that
 *   1. reads the entity and checks its revision (optimistic concurrency), and for a developer
 *      change with `abnExclusiveAmong` whether another developer holds its ABN,
 *   2. increments the counter document `{ _id: 'registry' }` with `$inc` (findOneAndUpdate,
 *      upsert, returnDocument 'after'),
 *   3. writes the entity with that revision, guarded again by the expected revision,
 *   4. appends the history entry.
 * A single-document `$inc` is atomic, and inside transactions a second writer of the counter
 * document does not wait and read the same value: it gets a WriteConflict (labelled
 * TransientTransactionError) and the loop re-runs the whole function after the first commits,
 * when it reads the new counter. Aborted attempts roll their increment back with them.
 * The same write lock also means transactions commit in revision order, so a gateway that has
 * seen revision N can never later be handed a change numbered below N (changesSince relies on
 * this). The alternative (revision = a cluster timestamp, or a counter outside the transaction)
 * would allow either ties or gaps that are invisible to pollers.
 *
 * Why polling reads with majority read concern: a change is acknowledged only once a majority
 * has it (the commit's write concern), but a read with the default `local` concern can see a
 * commit on the primary before that. If the primary then fails over, the commit is rolled back
 * and its revision number is handed out again to a different change; an instance that had
 * already polled the first one holds that revision and never asks for the second (a suspension
 * could be skipped). `majority` reads only what can no longer be rolled back. The counter and
 * the entities are read in one causally consistent session (the driver's default for explicit
 * sessions), so the entity reads wait until the server's majority snapshot has caught up with the
 * counter read even on a newly elected primary (afterClusterTime; MongoDB manual, "Causal
 * Consistency and Read and Write Concerns": majority reads and writes in one session give
 * monotonic reads).
 */
import type { ClientSession, Connection, Query } from 'mongoose';
import { authorisationKey, type ClientAuthorisation, type Developer, type HistoryEntry, type Product, type RegistryEntityType } from '../../registry/model.js';
import type { RegistryHistoryFilter } from '../../registry/changes.js';
import { historyEntryFor } from '../history-entry.js';
import { StoreAbnHeldError, StoreConflictError, type RegistryChange, type RegistryChanges } from '../port.js';
import { majorityWriteConcern, operationBounds, type MongoConnectionOptions } from './connection.js';
import { jsonClean, stripped, strippedAll } from './documents.js';
import { isDuplicateKey } from './errors.js';
import { REGISTRY_COUNTER_ID, type AnyModel, type Models } from './models/index.js';
import { runTransaction } from './transaction.js';

type Doc = Record<string, unknown>;

/**
 * Transaction options: read a snapshot, commit with majority (durable across a failover) within
 * wtimeoutMS, and give the commit command the same bound server-side (`maxCommitTimeMS`, the
 * driver's TransactionOptions; it becomes the commit's maxTimeMS).
 */
export function transactionOptions(options: MongoConnectionOptions = {}) {
  return {
    readConcern: { level: 'snapshot' },
    writeConcern: majorityWriteConcern(options),
    readPreference: 'primary',
    maxCommitTimeMS: operationBounds(options).operationTimeoutMS,
  } as const;
}

/** What the registry needs of the connection: sessions. */
export interface SessionSource {
  startSession(): Promise<ClientSession>;
}

export interface MongoRegistryOptions extends MongoConnectionOptions {
  /** Monotonic clock for the transaction deadline, in ms. Default: performance.now. */
  now?: () => number;
}

const str = (value: unknown): string => String(value);
// NUL as PCRE's \x00: the server refuses a pattern holding the byte itself ("Regular expression
// cannot contain an embedded null byte").
const escapeRegex = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\u0000/g, '\\x00');

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyQuery = Query<any, any>;

export class MongoRegistry {
  private readonly transactionOptions: ReturnType<typeof transactionOptions>;
  private readonly deadlineMs: number;

  constructor(
    private readonly sessions: SessionSource | Connection,
    private readonly m: Models,
    private readonly options: MongoRegistryOptions = {},
  ) {
    this.transactionOptions = transactionOptions(options);
    this.deadlineMs = operationBounds(options).operationTimeoutMS;
  }

  /** The counter read polling uses: majority read concern (see the top of this file). */
  counterQuery(session?: ClientSession): AnyQuery {
    const query = this.m.Counter.findById(REGISTRY_COUNTER_ID).readConcern('majority').lean();
    return session ? query.session(session) : query;
  }

  /** The entities of one model with revision in (after, upTo], in revision order: majority read concern. */
  changedQuery(model: AnyModel, after: number, upTo: number, session?: ClientSession): AnyQuery {
    const query = model
      .find({ revision: { $gt: after, $lte: upTo } })
      .sort({ revision: 1 })
      .readConcern('majority')
      .lean();
    return session ? query.session(session) : query;
  }

  async currentRevision(): Promise<number> {
    const counter = (await this.counterQuery()) as { seq?: number } | null;
    return counter?.seq ?? 0;
  }

  /**
   * Reads the counter first, then the entities with revision in (revision, counter]. Every change
   * numbered up to the counter has committed by then (commit order = revision order, see the top
   * of this file), and the causally consistent session makes the entity reads see at least what
   * the counter read saw, so none is missed; an entity changed again meanwhile has a higher
   * revision and comes with the next poll, in its newer state. The reads run one after another:
   * a session is meant for one operation at a time (the drivers' sessions specification), and
   * each entity read only has to start after the counter read has answered.
   */
  async changesSince(revision: number): Promise<RegistryChanges> {
    const session = await this.sessions.startSession();
    try {
      const counter = (await this.counterQuery(session)) as { seq?: number } | null;
      const current = counter?.seq ?? 0;
      if (current <= revision) return { revision: current, developers: [], products: [], authorisations: [] };
      const developers = (await this.changedQuery(this.m.Developer, revision, current, session)) as Doc[];
      const products = (await this.changedQuery(this.m.Product, revision, current, session)) as Doc[];
      const authorisations = (await this.changedQuery(this.m.ClientAuthorisation, revision, current, session)) as Doc[];
      return {
        revision: current,
        developers: strippedAll<Developer>(developers),
        products: strippedAll<Product>(products),
        authorisations: strippedAll<ClientAuthorisation>(authorisations),
      };
    } finally {
      await session.endSession().catch(() => undefined);
    }
  }

  async developerById(id: string): Promise<Developer | null> {
    return stripped<Developer>((await this.m.Developer.findOne({ id: str(id) }).lean()) as Doc | null);
  }

  async developerByAbn(abn: string): Promise<Developer | null> {
    return stripped<Developer>((await this.m.Developer.findOne({ abn: str(abn) }).sort({ id: 1 }).lean()) as Doc | null);
  }

  async listDevelopers(): Promise<Developer[]> {
    return strippedAll<Developer>((await this.m.Developer.find({}).sort({ id: 1 }).lean()) as Doc[]);
  }

  async productById(id: string): Promise<Product | null> {
    return stripped<Product>((await this.m.Product.findOne({ id: str(id) }).lean()) as Doc | null);
  }

  async listProducts(filter?: { developerId?: string | null }): Promise<Product[]> {
    const query = filter?.developerId != null ? { developerId: str(filter.developerId) } : {};
    return strippedAll<Product>((await this.m.Product.find(query).sort({ id: 1 }).lean()) as Doc[]);
  }

  async clientAuthorisation(org: string, clientId: string): Promise<ClientAuthorisation | null> {
    return stripped<ClientAuthorisation>((await this.m.ClientAuthorisation.findOne({ org: str(org), clientId: str(clientId) }).lean()) as Doc | null);
  }

  async listClientAuthorisations(filter?: { org?: string | null; clientId?: string | null }): Promise<ClientAuthorisation[]> {
    const query: Doc = {};
    if (filter?.org != null) query.org = str(filter.org);
    if (filter?.clientId != null) query.clientId = str(filter.clientId);
    return strippedAll<ClientAuthorisation>((await this.m.ClientAuthorisation.find(query).sort({ org: 1, clientId: 1 }).lean()) as Doc[]);
  }

  async historyOf(entityType: RegistryEntityType, entityId: string): Promise<HistoryEntry[]> {
    // _id (an ObjectId, increasing per inserting process) breaks ties the way SQLite's seq does;
    // revisions are unique per change anyway.
    const docs = await this.m.RegistryHistory.find({ entityType: str(entityType), entityId: str(entityId) }).sort({ revision: 1, _id: 1 }).lean();
    return strippedAll<HistoryEntry>(docs as Doc[]);
  }

  async queryRegistryHistory(filter: RegistryHistoryFilter, page: { first: number; beforeRevision?: number | null }): Promise<HistoryEntry[]> {
    const query: Doc = {};
    if (filter.entityType != null) query.entityType = str(filter.entityType);
    if (filter.ticket != null) query.ticket = str(filter.ticket);
    if (filter.actor != null) {
      // The sub alone matches `sub (role)`: a prefix match on the escaped value, never a pattern the caller wrote.
      const actor = str(filter.actor);
      query.$or = [{ actor }, { actor: { $regex: `^${escapeRegex(actor)} \\(` } }];
    }
    const effective: Doc = {};
    if (filter.from != null) effective.$gte = str(filter.from);
    if (filter.to != null) effective.$lt = str(filter.to);
    if (Object.keys(effective).length) query.effectiveAt = effective;
    if (page.beforeRevision != null) query.revision = { $lt: Number(page.beforeRevision) };
    const limit = Math.max(0, Math.floor(page.first));
    if (limit === 0) return [];
    const docs = await this.m.RegistryHistory.find(query).sort({ revision: -1, _id: -1 }).limit(limit).lean();
    return strippedAll<HistoryEntry>(docs as Doc[]);
  }

  applyRegistryChange(change: RegistryChange): Promise<{ revision: number; history: HistoryEntry }> {
    // The function may run more than once (transient conflicts are retried), so it builds
    // everything afresh each time and keeps no state outside the transaction.
    return runTransaction(() => this.sessions.startSession(), (session) => this.applyInTransaction(change, session), {
      transactionOptions: this.transactionOptions,
      deadlineMs: this.deadlineMs,
      ...(this.options.now ? { now: this.options.now } : {}),
    });
  }

  private async applyInTransaction(change: RegistryChange, session: ClientSession): Promise<{ revision: number; history: HistoryEntry }> {
    const { model, key, entityId } = this.target(change);
    const current = (await model.findOne(key).session(session).lean()) as Doc | null;
    const actual = typeof current?.revision === 'number' ? current.revision : null;
    const expected = change.expectedRevision;
    if (expected === null ? current !== null : actual !== expected) {
      throw new StoreConflictError(change.entity, entityId, expected, actual);
    }
    if (change.entity === 'DEVELOPER' && change.abnExclusiveAmong?.length) {
      // Read in this transaction's snapshot. Two changes racing under one ABN both write the
      // counter below, so the later one gets a WriteConflict and re-runs, reading the first's
      // commit here (the same serialisation that keeps revisions unique).
      const holder = (await this.m.Developer.findOne({ abn: str(change.next.abn), id: { $ne: str(change.next.id) }, status: { $in: change.abnExclusiveAmong.map(str) } })
        .session(session)
        .lean()) as Doc | null;
      if (holder) throw new StoreAbnHeldError(change.next.id, str(holder.id));
    }

    const counter = (await this.m.Counter.findOneAndUpdate(
      { _id: REGISTRY_COUNTER_ID },
      { $inc: { seq: 1 } },
      { upsert: true, returnDocument: 'after', session },
    ).lean()) as { seq: number } | null;
    if (!counter) throw new Error('registry counter upsert returned nothing');
    const revision = counter.seq;

    const stored = jsonClean({ ...change.next, revision }) as unknown as Doc;
    if (expected === null) {
      try {
        await model.create([stored], { session });
      } catch (err) {
        // Another transaction created it first and committed (a still-open one surfaces as a
        // WriteConflict and is retried by withTransaction instead).
        if (isDuplicateKey(err)) throw new StoreConflictError(change.entity, entityId, null, null);
        throw err;
      }
    } else {
      const result = await model.replaceOne({ ...key, revision: expected }, stored, { session, runValidators: true });
      if (result.matchedCount !== 1) throw new StoreConflictError(change.entity, entityId, expected, null);
    }

    const history = historyEntryFor(change, entityId, current ? stripped<Doc>(current) : null, stored, revision);
    const historyDoc = jsonClean(history);
    await this.m.RegistryHistory.create([historyDoc], { session });
    return { revision, history: historyDoc };
  }

  private target(change: RegistryChange): { model: AnyModel; key: Doc; entityId: string } {
    switch (change.entity) {
      case 'DEVELOPER':
        return { model: this.m.Developer, key: { id: str(change.next.id) }, entityId: change.next.id };
      case 'PRODUCT':
        return { model: this.m.Product, key: { id: str(change.next.id) }, entityId: change.next.id };
      case 'CLIENT_AUTHORISATION':
        return {
          model: this.m.ClientAuthorisation,
          key: { org: str(change.next.org), clientId: str(change.next.clientId) },
          entityId: authorisationKey(change.next.org, change.next.clientId),
        };
    }
  }
}
