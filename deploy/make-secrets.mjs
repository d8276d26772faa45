// Creates the secrets docker-compose.yml mounts (once; existing files are kept):
//   deploy/secrets/audit_hmac_key    base64, 32 bytes: client id digests, record hashes
//   deploy/secrets/subgraph_mac_key  base64, 32 bytes: per-request gateway→subgraph signatures
//   deploy/secrets/metrics_bearer    the bearer /metrics asks for
//   deploy/secrets/gateway_key.jwk   Ed25519 private JWK: assertions, checkpoints, the chain ledger
// Run: node deploy/make-secrets.mjs. The directory is git-ignored; in production use your secret
// store and give the same files to every gateway and subgraph.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';

const dir = new URL('./secrets/', import.meta.url);
mkdirSync(dir, { recursive: true, mode: 0o700 });
const make = (name, content) => {
  const file = new URL(name, dir);
  if (existsSync(file)) return console.log(`kept    deploy/secrets/${name}`);
  writeFileSync(file, content, { mode: 0o600 });
  console.log(`created deploy/secrets/${name}`);
};
make('audit_hmac_key', randomBytes(32).toString('base64'));
make('subgraph_mac_key', randomBytes(32).toString('base64'));
make('metrics_bearer', randomBytes(24).toString('base64url'));
const { privateKey } = generateKeyPairSync('ed25519');
make('gateway_key.jwk', JSON.stringify({ ...privateKey.export({ format: 'jwk' }), kid: `gw-${randomBytes(6).toString('hex')}` }));
