/**
 * `npm run audit:verify [-- --chain <id>] [--trusted-ledger <seq>:<hash>] [--json]`: verifies the
 * access log in the store (STORE_URL) from its chain ledger, against the gateway's public key and
 * the audit key (under DATA_DIR/keys, or AUDIT_HMAC_KEY): the ledger itself, every chain it names,
 * chains gone whole and chains it does not name. Prints one line per chain and one per finding.
 * Exit status: 0 all clean, 1 a finding, 2 the check could not run (configuration, store, keys).
 */
import { parseArgs } from 'node:util';
import { chainKeyOf } from '../audit/chain.js';
import { jsonPrintable, printable } from '../audit/sanitize.js';
import { formatLedger, formatStorage, formatVerificationReport } from '../audit/report-text.js';
import { verifyAccessLog, verifyChainInLog, type AccessLogVerification, type OneChainVerification } from '../audit/verify-store.js';
import { loadConfig } from '../core/config.js';
import { loadVerifierKeys } from '../core/keys.js';
import { createStore } from '../store/index.js';
import type { Store } from '../store/port.js';

const USAGE = `Usage: npm run audit:verify [-- options]

  --chain <id>                 verify only this chain (repeatable; default: the whole log)
  --trusted-ledger <seq>:<hash> the ledger head an earlier run printed: a ledger cut back below it is reported
  --json                       print the result as JSON instead of text
  --help                       this text

Exit status: 0 clean, 1 findings, 2 could not verify.`;

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ options: { chain: { type: 'string', multiple: true }, 'trusted-ledger': { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean' } }, strict: true }));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  let trustedLedgerHead: { seq: number; hash: string } | null = null;
  if (values['trusted-ledger']) {
    const m = /^(\d+):([0-9a-f]{64})$/.exec(values['trusted-ledger']);
    if (!m) {
      process.stderr.write(`--trusted-ledger takes <seq>:<64 hex hash>\n\n${USAGE}\n`);
      return 2;
    }
    trustedLedgerHead = { seq: Number(m[1]), hash: m[2]! };
  }
  const config = loadConfig();
  let keys: ReturnType<typeof loadVerifierKeys>;
  try {
    keys = loadVerifierKeys(config.dataDir, { gatewayJwksFile: config.auth.gatewayJwksFile, hmacKeyBase64: config.audit.hmacKey });
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    return 2;
  }
  const chainKey = chainKeyOf(keys.hmacKey);
  let store: Store | null = null;
  try {
    store = await createStore(config.storeUrl, { sqliteSync: config.audit.sqliteSync });
    let result: AccessLogVerification;
    if (values.chain?.length) {
      const chains: OneChainVerification[] = [];
      // As the API's one-chain verification: the header and the schema, without the whole-file check.
      const storageProblems = await store.storageProblems({ consistency: false });
      for (const chainId of values.chain) {
        const report = await verifyChainInLog(store, chainId, keys.gatewayJwks, { chainKey, trustedLedgerHead });
        if (!report) {
          process.stderr.write(`audit:verify: no chain ${chainId} in the store or the ledger\n`);
          return 2;
        }
        chains.push(report);
      }
      // Every report carries the same ledger reading.
      const ledger = chains[0]?.ledger ?? { entries: 0, head: null, problems: [], omitted: 0 };
      result = { ok: chains.every((c) => c.ok) && storageProblems.length === 0, ledger, chains: chains.map(({ ledger: _ledger, ...chain }) => chain), storageProblems };
    } else {
      result = await verifyAccessLog(store, keys.gatewayJwks, { chainKey, trustedLedgerHead });
    }
    const failed = result.chains.filter((r) => !r.ok).length;
    if (values.json) {
      process.stdout.write(`${jsonPrintable(JSON.stringify(result, null, 2))}\n`);
    } else {
      process.stdout.write(`${[...formatLedger(result.ledger), ...formatStorage(result.storageProblems)].join('\n')}\n`);
      for (const report of result.chains) process.stdout.write(`${formatVerificationReport(report).join('\n')}\n`);
      process.stdout.write(result.chains.length ? `${result.chains.length} chain${result.chains.length === 1 ? '' : 's'} verified, ${failed} failed\n` : 'no access-log chains in the store\n');
    }
    return result.ok ? 0 : 1;
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
    process.stderr.write(`audit:verify: could not verify: ${printable(err instanceof Error ? err.message : String(err))}\n`);
    process.exitCode = 2;
  },
);
