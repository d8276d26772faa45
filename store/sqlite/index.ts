export { SqliteStore, createSqliteStore, type SqliteStoreOptions } from './sqlite-store.js';
export { NO_PRODUCT_KEY } from './access-log-queries.js';
export { MEMORY_PATH } from './connection.js';
