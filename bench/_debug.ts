import autocannon from 'autocannon';
import { devIssuerJwksPath } from '../core/keys.js';
import { loadConfig } from '../core/config.js';
import { signDevToken } from '../gateway/auth/dev-tokens.js';
import { forkServer } from './child/children.js';
import { enforcedGatewayEnv, prepareEnvironment } from './setup.js';
import { workloads } from './workloads.js';
const env = await prepareEnvironment();
const sg = await forkServer('subgraphs', { role: 'subgraphs', dataDir: env.dataDir, storeUrl: env.storeUrl, hmacKeyBase64: env.hmacKeyBase64 });
const genv = { ...enforcedGatewayEnv(env, sg.urls, devIssuerJwksPath(env.dataDir)), ...JSON.parse(process.argv[3] ?? '{}') };
const mode = process.argv[2];
const off = mode === 'bare'
  ? await forkServer('bare', { role: 'bare', dataDir: env.dataDir, hmacKeyBase64: env.hmacKeyBase64, subgraphUrls: sg.urls, assertion: { sub: 'demo-user', org: '12345679016', softwareId: 'PRD-CERTIFIED', softwareVersion: '2.1.0', developerId: 'DEV-GOOD', tier: 'STANDARD' } })
  : await forkServer('off', { role: 'enforced', dataDir: env.dataDir, env: genv, accessLog: mode === 'durable' ? 'durable' : 'off' });
const token = await signDevToken(env.keys.issuer, { ttlS: 3000 }, loadConfig(genv));
const w = workloads().one;
for (let i = 0; i < 3; i++) {
  const r = await fetch(off.urls.graphql!, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: w.bodies[0] });
  console.log(r.status, (await r.text()).slice(0, 200));
}
await new Promise<void>((resolve) => {
  const inst = autocannon({ url: off.urls.graphql!, connections: 50, duration: 5, method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, requests: w.bodies.map((body) => ({ method: 'POST', body })) }, (err, res) => {
    console.log(err, JSON.stringify(res).slice(0, 1500));
    resolve();
  });
  let n = 0;
  inst.on('response', () => { n++; });
  inst.on('reqError', (e: unknown) => { if (n < 3) console.log('reqError', e); });
});
await off.stop(); await sg.stop(); await env.dispose();
