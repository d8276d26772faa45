/**
 * The register in SQLite: developers, products, client authorisations, their append-only history
 * and the single-row global revision counter (`registry_revision`). Every change runs in one
 * `BEGIN IMMEDIATE` transaction, which takes the database write lock before reading the entity's
 * revision, so two processes cannot both pass the optimistic check or draw the same revision (nor
 * both pass a change's `abnExclusiveAmong` check: the lock is held from that read to the commit).
 */
import type Database from 'better-sqlite3';
import { authorisationKey, type ClientAuthorisation, type Developer, type HistoryEntry, type Product, type RegistryEntityType } from '../../registry/model.js';
import type { RegistryHistoryFilter } from '../../registry/changes.js';
import { historyEntryFor } from '../history-entry.js';
import { StoreAbnHeldError, StoreConflictError, type RegistryChange, type RegistryChanges } from '../port.js';

type Row = { doc: string; revision: number };

const parse = <T>(row: { doc: string } | undefined): T | null => (row ? (JSON.parse(row.doc) as T) : null);
const parseAll = <T>(rows: unknown[]): T[] => (rows as { doc: string }[]).map((r) => JSON.parse(r.doc) as T);

export class SqliteRegistry {
  private readonly s;
  private readonly applyTx;
  private readonly changesTx;

  constructor(db: Database.Database) {
    const p = (sql: string) => db.prepare(sql);
    this.s = {
      currentRevision: p('SELECT revision FROM registry_revision WHERE id = 1').pluck(),
      nextRevision: p('UPDATE registry_revision SET revision = revision + 1 WHERE id = 1 RETURNING revision').pluck(),
      developerById: p('SELECT doc, revision FROM developers WHERE id = ?'),
      developerByAbn: p('SELECT doc FROM developers WHERE abn = ? ORDER BY id LIMIT 1'),
      developersByAbn: p('SELECT doc FROM developers WHERE abn = ? ORDER BY id'),
      listDevelopers: p('SELECT doc FROM developers ORDER BY id'),
      developersSince: p('SELECT doc FROM developers WHERE revision > ? ORDER BY revision'),
      upsertDeveloper: p(`INSERT INTO developers (id, abn, revision, doc) VALUES (@id, @abn, @revision, @doc)
        ON CONFLICT (id) DO UPDATE SET abn = excluded.abn, revision = excluded.revision, doc = excluded.doc`),
      productById: p('SELECT doc, revision FROM products WHERE id = ?'),
      listProducts: p('SELECT doc FROM products ORDER BY id'),
      listProductsOf: p('SELECT doc FROM products WHERE developer_id = ? ORDER BY id'),
      productsSince: p('SELECT doc FROM products WHERE revision > ? ORDER BY revision'),
      upsertProduct: p(`INSERT INTO products (id, developer_id, revision, doc) VALUES (@id, @developerId, @revision, @doc)
        ON CONFLICT (id) DO UPDATE SET developer_id = excluded.developer_id, revision = excluded.revision, doc = excluded.doc`),
      authorisation: p('SELECT doc, revision FROM client_authorisations WHERE org = ? AND client_id = ?'),
      listAuthorisations: p(`SELECT doc FROM client_authorisations
        WHERE (@org IS NULL OR org = @org) AND (@clientId IS NULL OR client_id = @clientId) ORDER BY org, client_id`),
      authorisationsSince: p('SELECT doc FROM client_authorisations WHERE revision > ? ORDER BY revision'),
      upsertAuthorisation: p(`INSERT INTO client_authorisations (org, client_id, revision, doc) VALUES (@org, @clientId, @revision, @doc)
        ON CONFLICT (org, client_id) DO UPDATE SET revision = excluded.revision, doc = excluded.doc`),
      appendHistory: p(`INSERT INTO registry_history (id, entity_type, entity_id, revision, recorded_at, doc)
        VALUES (@id, @entityType, @entityId, @revision, @recordedAt, @doc)`),
      historyOf: p('SELECT doc FROM registry_history WHERE entity_type = ? AND entity_id = ? ORDER BY revision, seq'),
      // A scan newest first (history is small next to the access log; the revision order is the primary key's).
      queryHistory: p(`SELECT doc FROM registry_history
        WHERE (@entityType IS NULL OR entity_type = @entityType)
          AND (@before IS NULL OR revision < @before)
          AND (@actor IS NULL OR json_extract(doc, '$.actor') = @actor OR substr(json_extract(doc, '$.actor'), 1, length(@actor) + 2) = @actor || ' (')
          AND (@ticket IS NULL OR json_extract(doc, '$.ticket') = @ticket)
          AND (@from IS NULL OR json_extract(doc, '$.effectiveAt') >= @from)
          AND (@to IS NULL OR json_extract(doc, '$.effectiveAt') < @to)
        ORDER BY revision DESC, seq DESC LIMIT @limit`),
    };
    this.applyTx = db.transaction((change: RegistryChange) => this.applyInTransaction(change));
    this.changesTx = db.transaction((revision: number): RegistryChanges => ({
      // Read inside one transaction: WAL gives a consistent snapshot, so `revision` matches the rows.
      revision: this.s.currentRevision.get() as number,
      developers: parseAll<Developer>(this.s.developersSince.all(revision)),
      products: parseAll<Product>(this.s.productsSince.all(revision)),
      authorisations: parseAll<ClientAuthorisation>(this.s.authorisationsSince.all(revision)),
    }));
  }

  currentRevision(): number {
    return this.s.currentRevision.get() as number;
  }

  changesSince(revision: number): RegistryChanges {
    return this.changesTx(revision);
  }

  developerById(id: string): Developer | null {
    return parse<Developer>(this.s.developerById.get(id) as Row | undefined);
  }

  developerByAbn(abn: string): Developer | null {
    return parse<Developer>(this.s.developerByAbn.get(abn) as Row | undefined);
  }

  listDevelopers(): Developer[] {
    return parseAll<Developer>(this.s.listDevelopers.all());
  }

  productById(id: string): Product | null {
    return parse<Product>(this.s.productById.get(id) as Row | undefined);
  }

  listProducts(filter?: { developerId?: string | null }): Product[] {
    return filter?.developerId != null ? parseAll<Product>(this.s.listProductsOf.all(filter.developerId)) : parseAll<Product>(this.s.listProducts.all());
  }

  clientAuthorisation(org: string, clientId: string): ClientAuthorisation | null {
    return parse<ClientAuthorisation>(this.s.authorisation.get(org, clientId) as Row | undefined);
  }

  listClientAuthorisations(filter?: { org?: string | null; clientId?: string | null }): ClientAuthorisation[] {
    return parseAll<ClientAuthorisation>(this.s.listAuthorisations.all({ org: filter?.org ?? null, clientId: filter?.clientId ?? null }));
  }

  applyRegistryChange(change: RegistryChange): { revision: number; history: HistoryEntry } {
    return this.applyTx.immediate(change);
  }

  historyOf(entityType: RegistryEntityType, entityId: string): HistoryEntry[] {
    return parseAll<HistoryEntry>(this.s.historyOf.all(entityType, entityId));
  }

  queryRegistryHistory(filter: RegistryHistoryFilter, page: { first: number; beforeRevision?: number | null }): HistoryEntry[] {
    return parseAll<HistoryEntry>(
      this.s.queryHistory.all({
        actor: filter.actor ?? null,
        ticket: filter.ticket ?? null,
        entityType: filter.entityType ?? null,
        from: filter.from ?? null,
        to: filter.to ?? null,
        before: page.beforeRevision ?? null,
        limit: Math.max(0, Math.floor(page.first)),
      }),
    );
  }

  private applyInTransaction(change: RegistryChange): { revision: number; history: HistoryEntry } {
    const { entityId, current } = this.currentOf(change);
    const actual = current?.revision ?? null;
    const expected = change.expectedRevision;
    if (expected === null ? current !== null : actual !== expected) {
      throw new StoreConflictError(change.entity, entityId, expected, actual);
    }
    if (change.entity === 'DEVELOPER' && change.abnExclusiveAmong?.length) {
      const statuses = change.abnExclusiveAmong;
      const holder = parseAll<Developer>(this.s.developersByAbn.all(change.next.abn)).find((d) => d.id !== change.next.id && statuses.includes(d.status));
      if (holder) throw new StoreAbnHeldError(change.next.id, holder.id);
    }
    const revision = this.s.nextRevision.get() as number;
    const stored = { ...change.next, revision };
    const doc = JSON.stringify(stored);
    switch (change.entity) {
      case 'DEVELOPER':
        this.s.upsertDeveloper.run({ id: change.next.id, abn: change.next.abn, revision, doc });
        break;
      case 'PRODUCT':
        this.s.upsertProduct.run({ id: change.next.id, developerId: change.next.developerId, revision, doc });
        break;
      case 'CLIENT_AUTHORISATION':
        this.s.upsertAuthorisation.run({ org: change.next.org, clientId: change.next.clientId, revision, doc });
        break;
    }
    const history = historyEntryFor(change, entityId, current ? (JSON.parse(current.doc) as unknown) : null, stored, revision);
    this.s.appendHistory.run({ id: history.id, entityType: history.entityType, entityId, revision, recordedAt: history.recordedAt, doc: JSON.stringify(history) });
    return { revision, history };
  }

  private currentOf(change: RegistryChange): { entityId: string; current: Row | null } {
    switch (change.entity) {
      case 'DEVELOPER':
        return { entityId: change.next.id, current: (this.s.developerById.get(change.next.id) as Row | undefined) ?? null };
      case 'PRODUCT':
        return { entityId: change.next.id, current: (this.s.productById.get(change.next.id) as Row | undefined) ?? null };
      case 'CLIENT_AUTHORISATION':
        return {
          entityId: authorisationKey(change.next.org, change.next.clientId),
          current: (this.s.authorisation.get(change.next.org, change.next.clientId) as Row | undefined) ?? null,
        };
    }
  }
}
