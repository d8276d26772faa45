/**
 * `npm start`: the whole system on the embedded default (SQLite under data/), with the demo
 * register, subgraphs on 4001–4005 and the gateway on 4000. Prints the URLs, the demo ids, an
 * example token and a curl command.
 */
import { ConfigError } from '../core/config.js';
import { DuplicateInstanceError } from '../gateway/access-log/writer.js';
import { signDevToken } from '../gateway/auth/dev-tokens.js';
import { DEMO_DEVELOPER_IDS, DEMO_ORGS, DEMO_PRODUCT_STATES } from '../registry/demo-register.js';
import { createLogger } from '../core/logger.js';
import { terminationSignals } from '../core/shutdown.js';
import { startSystem } from './system.js';

const EXAMPLE_QUERY = 'query Example { client(clientId: "C-000001") { id name tfnMasked lodgments { period formType status } account { balance } } }';

// Before anything is written: a signal during start-up waits for the start, then drains.
const signals = terminationSignals(createLogger({ level: 'info', name: 'dsp' }));
try {
  const system = await startSystem();
  const { config, gateway, subgraphs, keys } = system;
  const body = JSON.stringify({ query: EXAMPLE_QUERY });
  // In production there is no development issuer (core/keys.ts keysFor): no example token either.
  const token = keys.issuer ? await signDevToken(keys.issuer, { product: 'PRD-CERTIFIED', ttlS: 3600 }, config) : null;
  const tryIt = token
    ? [
        'Example token (PRD-CERTIFIED, org 12345679016, 1 hour):',
        `  ${token}`,
        '',
        'Try it:',
        `  curl -s ${gateway.url} -H 'content-type: application/json' -H "authorization: Bearer ${token}" -d '${body}'`,
        '',
        'More tokens: npm run token -- --help',
      ]
    : ['Tokens: from your configured issuer (JWKS_FILE, JWKS_URL or TOKEN_ISSUER_KEYS).'];
  const lines = [
    '',
    'DSP Gateway is running.',
    `  gateway     ${gateway.url}`,
    ...Object.entries(subgraphs).map(([name, s]) => `  ${name.padEnd(11)} ${s.url}`),
    `  health      http://127.0.0.1:${gateway.port}/healthz  /readyz`,
    `  console     http://127.0.0.1:${gateway.port}/console  (staff: sign in as the demo admin, auditor or developer)`,
    '',
    'Demo register:',
    `  developers: ${DEMO_DEVELOPER_IDS.join(', ')} (DEV-NONCOMPLIANT is suspended)`,
    ...Object.entries(DEMO_PRODUCT_STATES).map(([id, state]) => `  ${id.padEnd(21)} ${state}`),
    `  org ${DEMO_ORGS.practitioner} (tax practitioner) acts for C-000001 … C-000050; org ${DEMO_ORGS.company} (company) only for C-000100`,
    '',
    ...tryIt,
    '',
  ];
  process.stdout.write(lines.join('\n'));
  signals.ready(() => system.close());
} catch (err) {
  // The operator's to fix (a setting, another gateway with this INSTANCE_ID), said in one line.
  if (err instanceof ConfigError || err instanceof DuplicateInstanceError) {
    console.error(err.message);
    process.exit(2);
  }
  throw err;
}
