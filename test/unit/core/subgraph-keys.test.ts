/**
 * A subgraph's keys (core/keys.ts loadSubgraphKeys): the gateway's public key set and the MAC key,
 * never a private key (review s18a F1: every subgraph held the gateway's signing key, so a
 * subgraph host could mint an ATO admin's assertion for the registry and sign checkpoints).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { ensureKeys, gatewayJwksPath, loadSubgraphKeys } from '../../../core/keys.js';
import { freshDirs } from '../../helpers/temp-dirs.js';

const fresh = freshDirs('subgraph-keys-');
const mac = randomBytes(32).toString('base64');

describe('loadSubgraphKeys', () => {
  it('takes the public key set the gateway wrote under DATA_DIR, and the secrets the gateway uses', async () => {
    const dataDir = fresh();
    const gateway = await ensureKeys(dataDir);
    const keys = loadSubgraphKeys(dataDir, {}, { auditKey: true });
    expect(keys.gatewayJwks).toEqual(gateway.gateway.publicJwks);
    expect(keys.subgraphMacKey.equals(gateway.subgraphMacKey)).toBe(true);
    expect(keys.hmacKey!.equals(gateway.hmacKey)).toBe(true);
    expect(JSON.stringify(keys.gatewayJwks)).not.toContain('"d"');
    expect(loadSubgraphKeys(dataDir, {}, { auditKey: false }).hmacKey).toBeNull();
  });

  it('reads GATEWAY_JWKS_FILE and configured secrets, and writes nothing under DATA_DIR', async () => {
    const gatewayDir = fresh();
    await ensureKeys(gatewayDir);
    const dataDir = fresh();
    const keys = loadSubgraphKeys(dataDir, { gatewayJwksFile: gatewayJwksPath(gatewayDir), subgraphMacKeyBase64: mac }, { auditKey: false });
    expect(keys.gatewayJwks.keys).toHaveLength(1);
    expect(keys.subgraphMacKey.toString('base64')).toBe(mac);
    expect(readdirSync(dataDir)).toEqual([]);
  });

  it('refuses a key set holding the private key', async () => {
    const gatewayDir = fresh();
    await ensureKeys(gatewayDir);
    const privateFile = join(gatewayDir, 'keys', 'gateway.private.json');
    const asSet = join(gatewayDir, 'private-set.json');
    writeFileSync(asSet, JSON.stringify({ keys: [JSON.parse(readFileSync(privateFile, 'utf8'))] }));
    expect(() => loadSubgraphKeys(fresh(), { gatewayJwksFile: asSet, subgraphMacKeyBase64: mac }, { auditKey: false })).toThrow(/GATEWAY_JWKS_FILE .*: must hold public keys only/);
  });

  it('without the gateway\'s public key set, says where to find it and creates nothing', () => {
    const dataDir = fresh();
    expect(() => loadSubgraphKeys(dataDir, {}, { auditKey: true })).toThrow(/gateway\.jwks\.json: cannot be read as JSON \(ENOENT\): set GATEWAY_JWKS_FILE/);
    expect(existsSync(join(dataDir, 'keys'))).toBe(false);
    const notASet = join(dataDir, 'set.json');
    writeFileSync(notASet, '{"keys":[]}');
    expect(() => loadSubgraphKeys(dataDir, { gatewayJwksFile: notASet }, { auditKey: false })).toThrow(/not a JSON Web Key Set with at least one key/);
  });
});
