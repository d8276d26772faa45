/**
 * `npm run dpop-proof -- --token <token> [--htm POST] [--htu <url>]`: prints a DPoP proof
 * (RFC 9449) for one request, signed by the demo DPoP key under DATA_DIR/keys (created on first
 * use; the demo register binds PRD-ENHANCED to it). A proof is good for one request (its `jti` is
 * remembered) within DPOP_PROOF_WINDOW_S of now, so make a new one for every request:
 *
 *   TOKEN=$(npm run -s token -- --dpop)
 *   curl -s http://localhost:4000/graphql -H "authorization: DPoP $TOKEN" \
 *     -H "dpop: $(npm run -s dpop-proof -- --token "$TOKEN")" -H 'content-type: application/json' \
 *     -d '{"query":"{ client(clientId: \"C-000003\") { id name restricted } }"}'
 *
 * Only the proof goes to stdout. docs/tokens.md describes DPoP.
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../core/config.js';
import { ensureDemoDpopKey } from '../core/keys.js';
import { signDpopProof } from '../gateway/auth/dev-dpop.js';

const USAGE = `Usage: npm run dpop-proof -- --token <token> [options]

  --token <token>   the access token the proof goes with (its SHA-256 becomes ath; required)
  --htm <method>    the request's HTTP method            (default POST)
  --htu <url>       the request's URL, no query string   (default PUBLIC_URL, else http://localhost:<PORT>/graphql)
  --help            this text

Example:
  TOKEN=$(npm run -s token -- --dpop)
  curl -s http://localhost:4000/graphql -H "authorization: DPoP $TOKEN" \\
    -H "dpop: $(npm run -s dpop-proof -- --token "$TOKEN")" -H 'content-type: application/json' \\
    -d '{"query":"{ client(clientId: \\"C-000003\\") { id name restricted } }"}'`;

function fail(message: string): never {
  process.stderr.write(`${message}\n\n${USAGE}\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      args: process.argv.slice(2),
      strict: true,
      allowPositionals: false,
      options: { token: { type: 'string' }, htm: { type: 'string' }, htu: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    }));
  } catch (err) {
    fail((err as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (!values.token) fail('--token is required: the proof names the hash of the token it goes with');
  const htm = (values.htm ?? 'POST').toUpperCase();
  if (htm !== 'POST' && htm !== 'GET') fail('--htm must be POST or GET (the methods /graphql serves)');
  const config = loadConfig();
  const htu = values.htu ?? config.publicUrl ?? `http://localhost:${config.port}/graphql`;
  try {
    const url = new URL(htu);
    if (url.search || url.hash) fail('--htu is the URL without its query string or fragment');
  } catch {
    fail(`--htu ${htu}: not a URL`);
  }
  const key = await ensureDemoDpopKey(config.dataDir);
  process.stdout.write(`${await signDpopProof(key, { htm, htu, accessToken: values.token.trim() })}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`dpop-proof: ${(err as Error).message ?? String(err)}\n`);
  process.exit(1);
});
