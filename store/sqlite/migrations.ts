/**
 * The SQLite schema as an ordered list of migrations. Each runs once, recorded in
 * `schema_migrations`; all pending ones run in one `BEGIN IMMEDIATE` transaction so that two
 * processes starting at once on a new file cannot both apply them (the second waits for the
 * write lock, then finds them applied). Append new migrations; never edit an applied one.
 */
import type Database from 'better-sqlite3';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'registry',
    // Entities are stored whole as JSON (`doc`) next to the scalar columns they are looked up by.
    // FKs between registry tables are deliberately absent: the Mongo adapter cannot enforce them,
    // and the registry domain validates references, so both adapters behave the same.
    sql: `
      CREATE TABLE registry_revision (id INTEGER PRIMARY KEY CHECK (id = 1), revision INTEGER NOT NULL);
      INSERT INTO registry_revision (id, revision) VALUES (1, 0);

      CREATE TABLE developers (id TEXT PRIMARY KEY, abn TEXT NOT NULL, revision INTEGER NOT NULL, doc TEXT NOT NULL);
      CREATE INDEX developers_by_abn ON developers (abn);
      CREATE INDEX developers_by_revision ON developers (revision);

      CREATE TABLE products (id TEXT PRIMARY KEY, developer_id TEXT NOT NULL, revision INTEGER NOT NULL, doc TEXT NOT NULL);
      CREATE INDEX products_by_developer ON products (developer_id);
      CREATE INDEX products_by_revision ON products (revision);

      CREATE TABLE client_authorisations (
        org TEXT NOT NULL, client_id TEXT NOT NULL, revision INTEGER NOT NULL, doc TEXT NOT NULL,
        PRIMARY KEY (org, client_id)
      ) WITHOUT ROWID;
      CREATE INDEX client_authorisations_by_client ON client_authorisations (client_id);
      CREATE INDEX client_authorisations_by_revision ON client_authorisations (revision);

      CREATE TABLE registry_history (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        entity_type TEXT NOT NULL,
        entity_id TEXT NOT NULL,
        revision INTEGER NOT NULL,
        recorded_at TEXT NOT NULL,
        doc TEXT NOT NULL
      );
      CREATE INDEX registry_history_by_entity ON registry_history (entity_type, entity_id, revision);
      -- History is evidence: the database itself refuses to rewrite it.
      CREATE TRIGGER registry_history_no_update BEFORE UPDATE ON registry_history
        BEGIN SELECT RAISE(ABORT, 'registry_history is append-only'); END;
      CREATE TRIGGER registry_history_no_delete BEFORE DELETE ON registry_history
        BEGIN SELECT RAISE(ABORT, 'registry_history is append-only'); END;
    `,
  },
  {
    version: 2,
    name: 'access-log',
    // `record` holds the ChainedAccessRecord JSON exactly as the writer sent it: the chain hash is
    // computed over it, so it is the source of truth. The other columns are derived copies for
    // the auditor filters; error codes and client digests get child tables so that filtering by
    // one of them is an index lookup rather than a JSON scan.
    sql: `
      CREATE TABLE access_records (
        id INTEGER PRIMARY KEY,
        chain_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        record_id TEXT NOT NULL,
        time_ms INTEGER NOT NULL,
        product_id TEXT,
        developer_id TEXT,
        org TEXT,
        decision TEXT NOT NULL,
        operation_name TEXT,
        record TEXT NOT NULL,
        UNIQUE (chain_id, seq)
      );
      CREATE INDEX access_records_by_time ON access_records (time_ms);
      CREATE INDEX access_records_by_product ON access_records (product_id, time_ms);
      CREATE INDEX access_records_by_developer ON access_records (developer_id, time_ms);
      CREATE INDEX access_records_by_org ON access_records (org, time_ms);
      CREATE INDEX access_records_by_decision ON access_records (decision, time_ms);
      CREATE INDEX access_records_by_operation ON access_records (operation_name, time_ms);

      CREATE TABLE access_record_codes (
        record_rowid INTEGER NOT NULL REFERENCES access_records (id) ON DELETE CASCADE,
        code TEXT NOT NULL,
        PRIMARY KEY (record_rowid, code)
      ) WITHOUT ROWID;
      CREATE INDEX access_record_codes_by_code ON access_record_codes (code, record_rowid);

      CREATE TABLE access_record_clients (
        record_rowid INTEGER NOT NULL REFERENCES access_records (id) ON DELETE CASCADE,
        digest TEXT NOT NULL,
        PRIMARY KEY (record_rowid, digest)
      ) WITHOUT ROWID;
      CREATE INDEX access_record_clients_by_digest ON access_record_clients (digest, record_rowid);

      CREATE TABLE chain_heads (
        chain_id TEXT PRIMARY KEY,
        instance_id TEXT NOT NULL,
        started_at TEXT NOT NULL,
        last_seq INTEGER NOT NULL,
        last_hash TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );

      CREATE TABLE checkpoints (
        id INTEGER PRIMARY KEY,
        chain_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        hash TEXT NOT NULL,
        time TEXT NOT NULL,
        signature TEXT NOT NULL,
        UNIQUE (chain_id, seq, time)
      );
    `,
  },
  {
    version: 3,
    name: 'alerts-and-incidents',
    sql: `
      CREATE TABLE alerts (
        id TEXT PRIMARY KEY,
        status TEXT NOT NULL,
        product_id TEXT,
        detector TEXT NOT NULL,
        raised_at_ms INTEGER NOT NULL,
        last_seen_at_ms INTEGER NOT NULL,
        doc TEXT NOT NULL
      );
      CREATE INDEX alerts_by_status ON alerts (status, raised_at_ms);
      CREATE INDEX alerts_by_product ON alerts (product_id, raised_at_ms);
      CREATE INDEX alerts_by_detector ON alerts (detector, raised_at_ms);
      CREATE INDEX alerts_by_last_seen ON alerts (last_seen_at_ms);

      CREATE TABLE incidents (
        id TEXT PRIMARY KEY,
        status TEXT NOT NULL,
        developer_id TEXT,
        detected_at_ms INTEGER NOT NULL,
        revision INTEGER NOT NULL,
        doc TEXT NOT NULL
      );
      CREATE INDEX incidents_by_status ON incidents (status, detected_at_ms);
      CREATE INDEX incidents_by_developer ON incidents (developer_id, detected_at_ms);

      CREATE TABLE incident_products (
        incident_id TEXT NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
        product_id TEXT NOT NULL,
        PRIMARY KEY (incident_id, product_id)
      ) WITHOUT ROWID;
      CREATE INDEX incident_products_by_product ON incident_products (product_id, incident_id);
    `,
  },
  {
    version: 4,
    name: 'rate-limits',
    // Exactly the table RateLimiterSQLite creates itself (rate-limiter-flexible 11,
    // _getCreateTableSQL); made here so limiters can start with `tableCreated: true` instead of
    // racing their own asynchronous CREATE against the first consume.
    sql: `
      CREATE TABLE IF NOT EXISTS rate_limits (
        key TEXT PRIMARY KEY,
        points INTEGER NOT NULL DEFAULT 0,
        expire INTEGER
      );
    `,
  },
  {
    version: 5,
    name: 'chain-ledger',
    // The chain ledger (audit/ledger.ts): one gap-free signed sequence naming every chain and how
    // it ended. The primary key makes two writers racing for the next seq conflict rather than
    // both succeed. Checkpoints gain their number in the chain and the final flag (both signed).
    sql: `
      CREATE TABLE chain_ledger (
        seq INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        chain_id TEXT NOT NULL,
        instance_id TEXT NOT NULL,
        time TEXT NOT NULL,
        hash_alg TEXT,
        ending TEXT,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL,
        signature TEXT NOT NULL
      );
      ALTER TABLE checkpoints ADD COLUMN n INTEGER;
      ALTER TABLE checkpoints ADD COLUMN final INTEGER;
    `,
  },
  {
    version: 6,
    name: 'access-staged',
    // Lone records committed on the event loop land here first: one small row (no secondary
    // index) and the chain head, so the commit writes two pages instead of eleven. The write
    // thread folds them into access_records behind the response, and every read of the access
    // log folds first (sqlite-store.ts), so a staged record is never out of sight.
    sql: `
      CREATE TABLE access_staged (
        chain_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        record_id TEXT NOT NULL,
        time_ms INTEGER NOT NULL,
        product_id TEXT,
        developer_id TEXT,
        org TEXT,
        decision TEXT NOT NULL,
        operation_name TEXT,
        codes TEXT,
        clients TEXT,
        record TEXT NOT NULL,
        PRIMARY KEY (chain_id, seq)
      ) WITHOUT ROWID;
    `,
  },
];

/** The table rate limiters share (see migration 4). */
export const RATE_LIMIT_TABLE = 'rate_limits';

/**
 * Applies every pending migration in one immediate transaction and returns the versions applied
 * by this call (empty when the schema was already current). Throws, changing nothing, if the file
 * records a migration not in `migrations`.
 */
export function runMigrations(db: Database.Database, migrations: readonly Migration[] = MIGRATIONS): number[] {
  const migrate = db.transaction(() => {
    db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
    const rows = db.prepare('SELECT version, name FROM schema_migrations').all() as Array<{ version: number; name: string }>;
    const applied = new Set(rows.map((r) => r.version));
    // A file a newer version migrated (a downgrade, or an older instance in a rolling deploy) may
    // hold what this code cannot see, such as staged access records it would never fold: refuse it.
    // So is one from another build that gave a version number to a different migration (its name).
    const known = new Map(migrations.map((m) => [m.version, m.name]));
    const unknown = [...rows].sort((a, b) => a.version - b.version).filter((r) => known.get(r.version) !== r.name).map((r) => (known.has(r.version) ? `${r.version} '${r.name}', here '${known.get(r.version)}'` : String(r.version)));
    if (unknown.length) throw new Error(`The database has schema migrations this version does not know (${unknown.join(', ')}): it was written by a newer or another DSP Gateway build. Run that version, or restore a backup from before the upgrade.`);
    const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
    const done: number[] = [];
    for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
      if (applied.has(m.version)) continue;
      db.exec(m.sql);
      record.run(m.version, m.name, new Date().toISOString());
      done.push(m.version);
    }
    return done;
  });
  return migrate.immediate();
}

/** Versions recorded in `schema_migrations`, ascending. */
export function appliedMigrations(db: Database.Database): number[] {
  return db.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all() as number[];
}
