/** docker-compose.yml is valid wherever a compose CLI exists (`docker compose` or `docker-compose`). */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const candidates: string[][] = [['docker', 'compose'], ['docker-compose']];
const cli = candidates.find(([cmd, ...args]) => spawnSync(cmd!, [...args, 'version'], { stdio: 'ignore' }).status === 0);

(cli ? describe : describe.skip)(`docker-compose.yml${cli ? '' : ' (skipped: no docker compose CLI on this machine)'}`, () => {
  it('passes `compose config`', () => {
    const [cmd, ...args] = cli!;
    const result = spawnSync(cmd!, [...args, '-f', 'docker-compose.yml', 'config', '-q'], { cwd: root, encoding: 'utf8' });
    expect([result.status, result.stderr.trim()]).toEqual([0, '']);
  });
});

/**
 * The gateways trust X-Forwarded-For only from the load balancer's pinned address (a LAN client
 * reaching the published port must not be able to forge its address or its per-IP quota key).
 * Read as text: the compose CLI is absent here and the project has no YAML parser dependency.
 */
describe('docker-compose.yml trusted proxies', () => {
  const text = readFileSync(join(root, 'docker-compose.yml'), 'utf8');
  it('pins the load balancer to one address on a fixed subnet', () => {
    expect(text).toMatch(/subnet: 172\.28\.0\.0\/24/);
    // Dynamic addresses come from the upper half only: nothing can take .10 before nginx starts.
    expect(text).toMatch(/ip_range: 172\.28\.0\.128\/25/);
    expect([...text.matchAll(/ipv4_address: (\S+)/g)].map((m) => m[1])).toEqual(['172.28.0.10']);
  });
  it('trusts exactly that address, and nothing else, for every gateway', () => {
    const values = [...text.matchAll(/TRUSTED_PROXIES:\s*(\S+)/g)].map((m) => m[1]);
    expect(values).toEqual(['172.28.0.10']);
    // The one definition sits in the gateway environment every gateway service merges.
    const gatewayEnv = text.slice(text.indexOf('x-gateway-env:'), text.indexOf('\nservices:'));
    expect(gatewayEnv).toContain('TRUSTED_PROXIES: 172.28.0.10');
    for (const gw of ['gw1', 'gw2']) {
      // The service block: its header line and every more deeply indented line after it.
      const service = new RegExp(`\\n  ${gw}:\\n((?: {4,}.*\\n)*)`).exec(text)?.[1] ?? '';
      expect([gw, service.includes('<<: *gateway-env')]).toEqual([gw, true]);
    }
  });
});

/**
 * A subgraph verifies and never signs (review s18a F1): it gets the gateway's public key set and
 * the MAC key, never the gateway's private key, the metrics bearer or the keys volume, and only
 * the registry and audit subgraphs get the store's credentials.
 */
describe('docker-compose.yml subgraph secrets', () => {
  const text = readFileSync(join(root, 'docker-compose.yml'), 'utf8');
  const block = (header: string) => new RegExp(`\\n${header}\\n((?: {2,}.*\\n|\\s*\\n)*?)(?=\\S)`).exec(`${text}\n`)?.[1] ?? '';
  const services = text.slice(text.indexOf('\nservices:\n'));
  const service = (name: string) => new RegExp(`\\n  ${name}:\\n((?: {4,}.*\\n)*)`).exec(services)?.[1] ?? '';
  const merged = (name: string) => {
    const own = service(name);
    const parts = [own];
    if (own.includes('<<: *subgraph\n')) parts.push(block('x-subgraph: &subgraph'), block('x-app: &app'));
    if (own.includes('*subgraph-env')) parts.push(block('x-subgraph-env: &subgraph-env'), block('x-app-env: &app-env'));
    if (own.includes('*store-env')) parts.push(block('x-store-env: &store-env'));
    return parts.join('\n');
  };
  it.each(['clients', 'lodgments', 'accounts', 'registry', 'audit'])('%s holds no private key, bearer or keys volume', (name) => {
    const all = merged(name);
    expect(service(name)).toContain('<<: *subgraph\n');
    expect(all).toContain('GATEWAY_JWKS_FILE: /run/secrets/gateway_jwks');
    for (const secret of ['GATEWAY_KEY_FILE', 'gateway_key', 'METRICS_BEARER', 'metrics_bearer', 'keys:/data']) expect([name, secret, all.includes(secret)]).toEqual([name, secret, false]);
    expect([name, all.includes('STORE_URL')]).toEqual([name, name === 'registry' || name === 'audit']);
    expect([name, all.includes('audit_hmac_key')]).toEqual([name, name === 'audit']);
  });
  it('gives the gateways the signing key', () => {
    for (const gw of ['gw1', 'gw2']) expect([gw, service(gw).includes('gateway_key')]).toEqual([gw, true]);
  });
});

describe('deploy/nginx.conf', () => {
  it('never serves /metrics on the published port', () => {
    expect(readFileSync(join(root, 'deploy/nginx.conf'), 'utf8')).toMatch(/location = \/metrics \{\s*return 404;\s*\}/);
  });
});
