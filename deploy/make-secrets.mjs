// Creates the secrets docker-compose.yml mounts (once; existing files are kept):
//   deploy/secrets/audit_hmac_key    base64, 32 bytes: client id digests, record hashes
//   deploy/secrets/subgraph_mac_key  base64, 32 bytes: per-request gateway→subgraph signatures
//   deploy/secrets/metrics_bearer    the bearer /metrics asks for
//   deploy/secrets/gateway_key.jwk   Ed25519 private JWK: assertions, checkpoints, the chain ledger
//   deploy/secrets/gateway.jwks.json its public key set, for the subgraphs (derived from the above)
// Run: node deploy/make-secrets.mjs. The directory is git-ignored; in production use your secret
// store. The gateways get every file but gateway.jwks.json; the subgraphs get subgraph_mac_key and
// gateway.jwks.json only (the audit subgraph also audit_hmac_key), never the private key.
import { createPrivateKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';

const dir = new URL('./secrets/', import.meta.url);
// The directory keeps the files from other host users (0700). The files themselves are 0644:
// Compose bind-mounts file secrets with their host owner and mode (it ignores uid/gid/mode
// outside Swarm), and the image runs as `node` (uid 1000), which a 0600 file owned by another
// host user would shut out.
mkdirSync(dir, { recursive: true, mode: 0o700 });
const make = (name, content) => {
  const file = new URL(name, dir);
  if (existsSync(file)) return console.log(`kept    deploy/secrets/${name}`);
  writeFileSync(file, content, { mode: 0o644 });
  console.log(`created deploy/secrets/${name}`);
};
make('audit_hmac_key', randomBytes(32).toString('base64'));
make('subgraph_mac_key', randomBytes(32).toString('base64'));
make('metrics_bearer', randomBytes(24).toString('base64url'));
const { privateKey } = generateKeyPairSync('ed25519');
make('gateway_key.jwk', JSON.stringify({ ...privateKey.export({ format: 'jwk' }), kid: `gw-${randomBytes(6).toString('hex')}` }));
// The public half of whichever private key is there (made now, or kept from an earlier run), with
// the keys the set held before: after a rotation (a new gateway_key.jwk) the subgraphs trust the
// new key, and old checkpoints still verify against the old one.
const privateJwk = JSON.parse(readFileSync(new URL('gateway_key.jwk', dir), 'utf8'));
const { d: _d, ...publicJwk } = createPrivateKey({ key: privateJwk, format: 'jwk' }).export({ format: 'jwk' });
const current = { ...publicJwk, kid: privateJwk.kid, alg: 'EdDSA', use: 'sig' };
const setFile = new URL('gateway.jwks.json', dir);
const earlier = existsSync(setFile) ? JSON.parse(readFileSync(setFile, 'utf8')).keys ?? [] : [];
const keys = [current, ...earlier.filter((k) => k.x !== current.x)];
if (earlier.length === keys.length && earlier[0]?.x === current.x) console.log('kept    deploy/secrets/gateway.jwks.json');
else {
  writeFileSync(setFile, JSON.stringify({ keys }), { mode: 0o644 });
  console.log(`${earlier.length ? 'updated' : 'created'} deploy/secrets/gateway.jwks.json (${keys.length} key${keys.length > 1 ? 's' : ''})`);
}
