/**
 * The register in MongoDB: developers, products, client authorisations, their append-only
 * history and the global revision counter.
 *
 * Why two changes can never share a revision: every change runs in one multi-document
 * transaction (`connection.transaction`, i.e. the driver's `session.withTransaction`) that
 *   1. reads the entity and checks its revision (optimistic concurrency),
 *   2. increments the counter document `{ _id: 'registry' }` with `$inc` (findOneAndUpdate,
 *      upsert, returnDocument 'after'),
 *   3. writes the entity with that revision, guarded again by the expected revision,
 *   4. appends the history entry.
 * A single-document `$inc` is atomic, and inside transactions a second writer of the counter
 * document does not wait and read the same value: it gets a WriteConflict (labelled
 * TransientTransactionError) and withTransaction re-runs the whole function after the first
 * commits, when it reads the new counter. Aborted attempts roll their increment back with them.
 * The same write lock also means transactions commit in revision order, so a gateway that has
 * seen revision N can never later be handed a change numbered below N (changesSince relies on
 * this). The alternative (revision = a cluster timestamp, or a counter outside the transaction)
 * would allow either ties or gaps that are invisible to pollers.
 */
import type { ClientSession, Connection } from 'mongoose';
import { authorisationKey, type ClientAuthorisation, type Developer, type HistoryEntry, type Product, type RegistryEntityType } from '../../registry/model.js';
import type { RegistryHistoryFilter } from '../../registry/changes.js';
import { historyEntryFor } from '../history-entry.js';
import { StoreConflictError, type RegistryChange, type RegistryChanges } from '../port.js';
import { jsonClean, stripped, strippedAll } from './documents.js';
import { isDuplicateKey } from './errors.js';
import { REGISTRY_COUNTER_ID, type AnyModel, type Models } from './models/index.js';

type Doc = Record<string, unknown>;

/** Transaction options: read a snapshot, commit with majority (durable across a failover). */
const TRANSACTION_OPTIONS = { readConcern: { level: 'snapshot' }, writeConcern: { w: 'majority' }, readPreference: 'primary' } as const;

const str = (value: unknown): string => String(value);
const escapeRegex = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export class MongoRegistry {
  constructor(
    private readonly connection: Connection,
    private readonly m: Models,
  ) {}

  async currentRevision(): Promise<number> {
    const counter = (await this.m.Counter.findById(REGISTRY_COUNTER_ID).lean()) as { seq?: number } | null;
    return counter?.seq ?? 0;
  }

  /**
   * Reads the counter first, then the entities with revision in (revision, counter]. Every change
   * numbered up to the counter has committed by then (commit order = revision order, see the top
   * of this file), so none is missed; an entity changed again meanwhile has a higher revision and
   * comes with the next poll, in its newer state.
   */
  async changesSince(revision: number): Promise<RegistryChanges> {
    const current = await this.currentRevision();
    if (current <= revision) return { revision: current, developers: [], products: [], authorisations: [] };
    const range = { revision: { $gt: revision, $lte: current } };
    const [developers, products, authorisations] = await Promise.all([
      this.m.Developer.find(range).sort({ revision: 1 }).lean(),
      this.m.Product.find(range).sort({ revision: 1 }).lean(),
      this.m.ClientAuthorisation.find(range).sort({ revision: 1 }).lean(),
    ]);
    return {
      revision: current,
      developers: strippedAll<Developer>(developers as Doc[]),
      products: strippedAll<Product>(products as Doc[]),
      authorisations: strippedAll<ClientAuthorisation>(authorisations as Doc[]),
    };
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
    return this.connection.transaction((session) => this.applyInTransaction(change, session), TRANSACTION_OPTIONS);
  }

  private async applyInTransaction(change: RegistryChange, session: ClientSession): Promise<{ revision: number; history: HistoryEntry }> {
    const { model, key, entityId } = this.target(change);
    const current = (await model.findOne(key).session(session).lean()) as Doc | null;
    const actual = typeof current?.revision === 'number' ? current.revision : null;
    const expected = change.expectedRevision;
    if (expected === null ? current !== null : actual !== expected) {
      throw new StoreConflictError(change.entity, entityId, expected, actual);
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
