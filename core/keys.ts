/**
 * Key material created on first start under `<dataDir>/keys` (never committed):
 * - outside production, the development token issuer (ES256), whose public JWKS the gateway
 *   trusts in development. A production gateway never creates it: a private key nothing trusts
 *   is a secret to guard for nothing, and one a later misconfiguration could start trusting;
 * - the gateway's own Ed25519 key, which signs subgraph assertions and audit checkpoints;
 * - the audit HMAC key that digests client ids;
 * - the subgraph request MAC key (core/request-signature.ts), shared by the gateway and subgraphs;
 * - outside production, the demo DPoP key (`ensureDemoDpopKey`): the key the demo register binds
 *   PRD-ENHANCED's tokens to, so `npm run token -- --dpop` can sign proofs for it.
 * Files are written with mode 0600 via a temporary file and an exclusive link, so two processes
 * starting together agree on one key.
 *
 * A subgraph loads only what it verifies with (`loadSubgraphKeys`): the gateway's public key set
 * and the request MAC key (and the audit subgraph the audit HMAC key). It never reads or creates a
 * private key: a subgraph host holding the gateway's signing key could mint assertions for any
 * subgraph (an ATO admin's, to the registry) and sign checkpoints and ledger entries for a
 * rewritten access log (review s18a F1).
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, existsSync, linkSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { exportJWK, generateKeyPair, importJWK, calculateJwkThumbprint, type JWK, type CryptoKey } from 'jose';

export interface SigningKey {
  kid: string;
  alg: 'ES256' | 'EdDSA';
  privateKey: CryptoKey;
  /** Public JWKS document ({ keys: [...] }). */
  publicJwks: { keys: JWK[] };
}

export interface KeyMaterial {
  /** Development token issuer (trusted only outside production, when no JWKS_FILE/JWKS_URL is configured); null in production, where it is not created. */
  issuer: SigningKey | null;
  /** The gateway's own key: subgraph assertions and audit checkpoints. */
  gateway: SigningKey;
  /** Audit HMAC key for client id digests. */
  hmacKey: Buffer;
  /** Key of the per-request signature on gateway→subgraph calls. */
  subgraphMacKey: Buffer;
}

/** Secrets given by configuration (production); each missing one is created under the keys directory. */
export interface KeySecrets {
  hmacKeyBase64?: string | null;
  subgraphMacKeyBase64?: string | null;
  /** The gateway's Ed25519 private JWK from a secret store, instead of one generated under DATA_DIR. */
  gatewayKeyFile?: string | null;
}

/** The secrets a resolved configuration gives. */
export function keySecretsOf(config: { audit: { hmacKey: string | null }; enforcement: { subgraphMacKey: string | null }; auth: { gatewayKeyFile: string | null } }): KeySecrets {
  return { hmacKeyBase64: config.audit.hmacKey, subgraphMacKeyBase64: config.enforcement.subgraphMacKey, gatewayKeyFile: config.auth.gatewayKeyFile };
}

/**
 * A 32-byte secret from base64 configuration, or the one under `dir` (created on first use). A
 * file that does not hold at least 32 bytes (emptied, cut short by a crash, edited) stops the
 * start: an empty MAC key would let anyone sign subgraph requests (review s18b 8).
 */
function ensureSecret(dir: string, file: string, base64: string | null | undefined): Buffer {
  if (base64) return Buffer.from(base64, 'base64');
  const path = join(dir, file);
  writeOnce(path, randomBytes(32).toString('base64'));
  const text = readFileSync(path, 'utf8').trim();
  const key = Buffer.from(text, 'base64');
  if (key.length < 32 || !/^[A-Za-z0-9+/]+={0,2}$/.test(text)) throw new Error(`${path}: must hold a base64 key of at least 32 bytes (found ${key.length}); restore it from a backup, or remove it to create a new one`);
  return key;
}

/** Writes `content` to `path` unless it exists, durably (synced before it is linked in), mode 0600, atomically. */
function writeOnce(path: string, content: string): void {
  if (existsSync(path)) return;
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, content);
    // A key linked in before its bytes reach the disk can be an empty file after a power cut, kept forever.
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(tmp, path); // fails if another process won the race: theirs is kept
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
      renameSync(tmp, path);
      syncDirectory(path);
      return;
    }
  }
  unlinkSync(tmp);
  syncDirectory(path);
}

/** The directory entry of `path` on disk, so a power cut cannot lose a key file just written (review s18d F10). */
function syncDirectory(path: string): void {
  const fd = openSync(dirname(path), 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** A signing key from a private JWK file given by the operator: read, never written or generated. */
async function signingKeyFromFile(path: string, alg: 'EdDSA'): Promise<SigningKey> {
  let privateJwk: JWK;
  try {
    privateJwk = JSON.parse(readFileSync(path, 'utf8')) as JWK;
  } catch (err) {
    throw new Error(`GATEWAY_KEY_FILE: cannot read a JSON Web Key from ${path} (${(err as Error).message})`);
  }
  if (privateJwk.kty !== 'OKP' || privateJwk.crv !== 'Ed25519' || !privateJwk.d) throw new Error('GATEWAY_KEY_FILE: must hold an Ed25519 private JWK (kty OKP, crv Ed25519, with d)');
  const kid = privateJwk.kid ?? (await calculateJwkThumbprint(privateJwk));
  const privateKey = (await importJWK({ ...privateJwk, alg }, alg)) as CryptoKey;
  const { d: _d, ...publicJwk } = privateJwk;
  return { kid, alg, privateKey, publicJwks: { keys: [{ ...publicJwk, kid, alg, use: 'sig' }] } };
}

async function ensureSigningKey(dir: string, name: string, alg: 'ES256' | 'EdDSA'): Promise<SigningKey> {
  const path = join(dir, `${name}.private.json`);
  if (!existsSync(path)) {
    const { privateKey } = await generateKeyPair(alg, { extractable: true, ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}) });
    const jwk = await exportJWK(privateKey);
    jwk.kid = await calculateJwkThumbprint(jwk);
    jwk.alg = alg;
    writeOnce(path, JSON.stringify(jwk));
  }
  let privateJwk: JWK;
  let privateKey: CryptoKey;
  try {
    privateJwk = JSON.parse(readFileSync(path, 'utf8')) as JWK;
    privateKey = (await importJWK(privateJwk, alg)) as CryptoKey;
  } catch (err) {
    throw new Error(`${path}: not a private JSON Web Key for ${alg} (${(err as Error).message}); restore it from a backup, or remove it to create a new one`);
  }
  const { d: _d, ...publicJwk } = privateJwk;
  const publicJwks = { keys: [{ ...publicJwk, use: 'sig' }] };
  writeOnce(join(dir, `${name}.jwks.json`), JSON.stringify(publicJwks, null, 2));
  return { kid: privateJwk.kid!, alg, privateKey, publicJwks };
}

/** Key material with the development issuer's key (what development tools, tests and the benchmark sign tokens with). */
export type DevKeyMaterial = KeyMaterial & { issuer: SigningKey };

async function loadKeys(dataDir: string, secrets: KeySecrets, devIssuer: boolean): Promise<KeyMaterial> {
  const dir = join(dataDir, 'keys');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const [issuer, gateway] = await Promise.all([
    devIssuer ? ensureSigningKey(dir, 'dev-issuer', 'ES256') : null,
    secrets.gatewayKeyFile ? signingKeyFromFile(secrets.gatewayKeyFile, 'EdDSA') : ensureSigningKey(dir, 'gateway', 'EdDSA'),
  ]);
  const hmacKey = ensureSecret(dir, 'audit-hmac.b64', secrets.hmacKeyBase64);
  const subgraphMacKey = ensureSecret(dir, 'subgraph-mac.b64', secrets.subgraphMacKeyBase64);
  return { issuer, gateway, hmacKey, subgraphMacKey };
}

/** Loads the keys under `<dataDir>/keys`, the development issuer's included, creating any that are missing. */
export async function ensureKeys(dataDir: string, secrets: KeySecrets = {}): Promise<DevKeyMaterial> {
  return (await loadKeys(dataDir, secrets, true)) as DevKeyMaterial;
}

/** The keys a process running `config` needs: its secrets as configured, and the development issuer only outside production (where it is never trusted). */
export function keysFor(config: Parameters<typeof keySecretsOf>[0] & { env: string; dataDir: string }): Promise<KeyMaterial> {
  return loadKeys(config.dataDir, keySecretsOf(config), config.env !== 'production');
}

/** The demo product key DPoP proofs are signed with (RFC 9449): an ES256 key pair and the RFC 7638 thumbprint of its public JWK. */
export interface DemoDpopKey {
  alg: 'ES256';
  privateKey: CryptoKey;
  /** The public JWK as a proof's `jwk` header carries it: kty, crv, x, y only. */
  publicJwk: JWK;
  /** base64url SHA-256 JWK thumbprint: what the register lists and a bound token's `cnf.jkt` holds. */
  thumbprint: string;
}

/**
 * The demo DPoP key under `<dataDir>/keys/demo-dpop.private.json`, created on first use. It stands
 * for a DSP product's own key, which in real life never leaves the product; it is here so the
 * demo register can bind PRD-ENHANCED and `npm run token -- --dpop` can sign proofs.
 */
export async function ensureDemoDpopKey(dataDir: string): Promise<DemoDpopKey> {
  const dir = join(dataDir, 'keys');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const key = await ensureSigningKey(dir, 'demo-dpop', 'ES256');
  const { kty, crv, x, y } = key.publicJwks.keys[0]!;
  const publicJwk: JWK = { kty: kty!, crv: crv!, x: x!, y: y! };
  return { alg: 'ES256', privateKey: key.privateKey, publicJwk, thumbprint: await calculateJwkThumbprint(publicJwk, 'sha256') };
}

/** Path of the development issuer's public JWKS (what `JWKS_FILE` would point at). */
export function devIssuerJwksPath(dataDir: string): string {
  return join(dataDir, 'keys', 'dev-issuer.jwks.json');
}

/** Path of the gateway's public JWKS, which subgraphs use to verify assertions. */
export function gatewayJwksPath(dataDir: string): string {
  return join(dataDir, 'keys', 'gateway.jwks.json');
}

/** Whether `keys` (a set's `keys` member) is a list of objects, as a JSON Web Key Set's is. */
export function isJwkList(keys: unknown): keys is JWK[] {
  return Array.isArray(keys) && keys.every((k) => k !== null && typeof k === 'object' && !Array.isArray(k));
}

/** Whether a key set that should be public holds a private (`d`) or symmetric (`oct`) key: a leaked secret or a mix-up. */
export function holdsSecretKeys(keys: readonly JWK[]): boolean {
  return keys.some((k) => k.kty === 'oct' || 'd' in k);
}

/** What a subgraph verifies with. No private key. */
export interface SubgraphKeys {
  /** The gateway's public key set: assertions, and for the audit subgraph checkpoints and the ledger. */
  gatewayJwks: { keys: JWK[] };
  /** Key of the per-request signature on gateway→subgraph calls. */
  subgraphMacKey: Buffer;
  /** The audit HMAC key (client-id digests in auditors' filters): the audit subgraph only, else null. */
  hmacKey: Buffer | null;
}

/**
 * A subgraph's keys taken from the whole key material: the embedded system and tests, where one
 * process holds every key anyway (a subgraph of its own loads its keys with loadSubgraphKeys).
 */
export function subgraphKeysOf(keys: KeyMaterial): SubgraphKeys {
  return { gatewayJwks: keys.gateway.publicJwks, subgraphMacKey: keys.subgraphMacKey, hmacKey: keys.hmacKey };
}

/**
 * A subgraph's keys for a process of its own (`npm run start:subgraph`): the gateway's public key
 * set from `gatewayJwksFile` (GATEWAY_JWKS_FILE), else the one the gateway writes under
 * `<dataDir>/keys`; the MAC key (and, with `auditKey`, the audit HMAC key) from configuration,
 * else under `<dataDir>/keys` as the gateway finds them. A key set holding private or symmetric
 * key material is refused. Nothing private is read or created.
 */
export function loadSubgraphKeys(dataDir: string, secrets: KeySecrets & { gatewayJwksFile?: string | null }, options: { auditKey: boolean }): SubgraphKeys {
  const gatewayJwks = readGatewayJwks(dataDir, secrets.gatewayJwksFile);
  const dir = join(dataDir, 'keys');
  const needsDir = !secrets.subgraphMacKeyBase64 || (options.auditKey && !secrets.hmacKeyBase64);
  if (needsDir) mkdirSync(dir, { recursive: true, mode: 0o700 });
  return {
    gatewayJwks,
    subgraphMacKey: ensureSecret(dir, 'subgraph-mac.b64', secrets.subgraphMacKeyBase64),
    hmacKey: options.auditKey ? ensureSecret(dir, 'audit-hmac.b64', secrets.hmacKeyBase64) : null,
  };
}

/**
 * What `npm run audit:verify` checks the log with: the gateway's public key set and the audit
 * HMAC key, read, never created (review s18d F10: it called ensureKeys, so on a host without
 * the keys it made a new gateway key and audit key and judged the log against them). A missing
 * one stops it, naming where it looked.
 */
export function loadVerifierKeys(dataDir: string, secrets: { gatewayJwksFile?: string | null; hmacKeyBase64?: string | null }): { gatewayJwks: { keys: JWK[] }; hmacKey: Buffer } {
  const gatewayJwks = readGatewayJwks(dataDir, secrets.gatewayJwksFile);
  const path = join(dataDir, 'keys', 'audit-hmac.b64');
  if (!secrets.hmacKeyBase64 && !existsSync(path)) throw new Error(`the audit HMAC key: set AUDIT_HMAC_KEY (or AUDIT_HMAC_KEY_FILE), or run with the DATA_DIR whose keys/audit-hmac.b64 the gateway wrote (${path} does not exist)`);
  return { gatewayJwks, hmacKey: ensureSecret(join(dataDir, 'keys'), 'audit-hmac.b64', secrets.hmacKeyBase64) };
}

/** The gateway's public key set from GATEWAY_JWKS_FILE or DATA_DIR/keys/gateway.jwks.json; refused if it holds private or symmetric key material. */
function readGatewayJwks(dataDir: string, gatewayJwksFile: string | null | undefined): { keys: JWK[] } {
  const label = gatewayJwksFile ? `GATEWAY_JWKS_FILE ${gatewayJwksFile}` : `the gateway's public key set ${gatewayJwksPath(dataDir)}`;
  const path = gatewayJwksFile ?? gatewayJwksPath(dataDir);
  let jwks: unknown;
  try {
    jwks = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    const hint = missing && !gatewayJwksFile ? ': set GATEWAY_JWKS_FILE, or start the gateway once with this DATA_DIR so that it writes it' : '';
    throw new Error(`${label}: cannot be read as JSON (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})${hint}`);
  }
  const keys = (jwks as { keys?: unknown } | null)?.keys;
  if (!isJwkList(keys) || keys.length === 0) throw new Error(`${label}: not a JSON Web Key Set with at least one key`);
  if (holdsSecretKeys(keys)) throw new Error(`${label}: must hold public keys only (a subgraph never holds the gateway's private key)`);
  return { keys };
}
