/**
 * `npm run audit:verify [-- --chain <id>] [--json]`: verifies every access-log chain in the store
 * (STORE_URL) against the gateway's public key (under DATA_DIR/keys), prints one line per chain
 * and one per problem with its seq. Exit status: 0 all clean, 1 a problem was found, 2 the check
 * could not run (configuration, store, keys).
 */
import { parseArgs } from 'node:util';
import { formatVerificationReport } from '../audit/report-text.js';
import type { VerificationReport } from '../audit/verifier.js';
import { verifyStore, verifyStoredChain } from '../audit/verify-store.js';
import { loadConfig } from '../core/config.js';
import { ensureKeys, keySecretsOf } from '../core/keys.js';
import { createStore } from '../store/index.js';
import type { Store } from '../store/port.js';

const USAGE = `Usage: npm run audit:verify [-- options]

  --chain <id>   verify only this chain (repeatable; default: every chain in the store)
  --json         print the reports as JSON instead of text
  --help         this text

Exit status: 0 clean, 1 problems found, 2 could not verify.`;

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ options: { chain: { type: 'string', multiple: true }, json: { type: 'boolean' }, help: { type: 'boolean' } }, strict: true }));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const config = loadConfig();
  const keys = await ensureKeys(config.dataDir, keySecretsOf(config));
  let store: Store | null = null;
  try {
    store = await createStore(config.storeUrl, { sqliteSync: config.audit.sqliteSync });
    let reports: VerificationReport[];
    if (values.chain?.length) {
      reports = [];
      for (const chainId of values.chain) {
        const report = await verifyStoredChain(store, chainId, keys.gateway.publicJwks);
        if (!report) {
          process.stderr.write(`audit:verify: no chain ${chainId} in the store\n`);
          return 2;
        }
        reports.push(report);
      }
    } else {
      reports = await verifyStore(store, keys.gateway.publicJwks);
    }
    const failed = reports.filter((r) => !r.ok).length;
    if (values.json) {
      process.stdout.write(`${JSON.stringify({ ok: failed === 0, chains: reports }, null, 2)}\n`);
    } else {
      for (const report of reports) process.stdout.write(`${formatVerificationReport(report).join('\n')}\n`);
      process.stdout.write(reports.length ? `${reports.length} chain${reports.length === 1 ? '' : 's'} verified, ${failed} failed\n` : 'no access-log chains in the store\n');
    }
    return failed ? 1 : 0;
  } finally {
    await store?.close();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    // Operational failure (configuration, store, keys): never a verdict about the log.
    process.stderr.write(`audit:verify: could not verify: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 2;
  },
);
