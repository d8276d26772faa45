/**
 * The image and the compose file run compiled JavaScript with node as the process signals reach
 * (issue 17), on the Node line .nvmrc names, and the compose file gives secrets as files. Read as
 * text: no Docker engine runs here (the compose CLI check in compose.test.ts runs where one does).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { GATEWAY_NODE_FLAGS } from '../../../core/runtime-flags.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const read = (file: string) => readFileSync(`${root}${file}`, 'utf8');

describe('the Docker image', () => {
  const dockerfile = read('Dockerfile');
  const nvmrc = read('.nvmrc').trim();
  const pkg = JSON.parse(read('package.json')) as { engines: { node: string }; dependencies: Record<string, string>; devDependencies: Record<string, string>; scripts: Record<string, string> };

  it('builds on the Node line .nvmrc names and runs node on compiled JS in exec form', () => {
    expect(nvmrc).toMatch(/^\d+$/);
    expect(dockerfile).toMatch(new RegExp(`^ARG NODE_IMAGE=node:${nvmrc}-`, 'm'));
    expect(dockerfile).toMatch(/^RUN npm run build$/m);
    const cmds = dockerfile.split('\n').filter((l) => l.startsWith('CMD '));
    expect(cmds).toEqual(['CMD ["node", "dist/gateway/main.js"]']);
    expect(dockerfile).not.toMatch(/tsx/);
  });

  it('keeps build-only tools out of the production dependencies, and engines names the lines tested', () => {
    for (const dev of ['tsx', '@apollo/composition', 'typescript', 'jest']) expect([dev, dev in pkg.dependencies]).toEqual([dev, false]);
    expect(pkg.engines.node).toContain(`<${Number(nvmrc) + 1}`);
    expect(pkg.scripts['start:gateway']).toBe(`exec node ${GATEWAY_NODE_FLAGS.join(' ')} dist/gateway/main.js`);
    // npm's child is node itself (exec), so the SIGTERM npm forwards reaches the process that drains.
    expect(pkg.scripts['start']).toMatch(/^exec node /);
  });

  it('runs the gateway with the memory flags the soak measured (core/runtime-flags.ts) wherever it is started', () => {
    // The heap bound keeps RSS under the ceiling; --expose-gc lets the cache sweeper give the heap back when idle.
    expect(GATEWAY_NODE_FLAGS).toEqual(expect.arrayContaining([expect.stringMatching(/^--max-old-space-size=\d+$/), '--expose-gc']));
    expect(dockerfile).toMatch(new RegExp(`^\\s+NODE_OPTIONS="${GATEWAY_NODE_FLAGS.join(' ')}"$`, 'm'));
    expect(pkg.scripts['start']).toBe(`exec node ${GATEWAY_NODE_FLAGS.join(' ')} --import tsx scripts/start.ts`);
  });
});

describe('docker-compose.yml', () => {
  const compose = read('docker-compose.yml');
  it('runs every service on compiled JS with node directly', () => {
    const commands = [...compose.matchAll(/^\s+command: (\[.*\])$/gm)].map((m) => m[1]!).filter((c) => !c.includes('mongo'));
    expect(commands).toHaveLength(7);
    for (const c of commands) expect(c).toMatch(/^\["node", "dist\//);
  });
  it('gives the secrets as Docker secrets (files), not environment values', () => {
    for (const name of ['AUDIT_HMAC_KEY', 'SUBGRAPH_MAC_KEY', 'METRICS_BEARER', 'GATEWAY_KEY']) {
      expect(compose).toMatch(new RegExp(`${name}_FILE: /run/secrets/`));
      expect(compose).not.toMatch(new RegExp(`\\b${name}: `));
    }
    expect(compose).toMatch(/^secrets:\n/m);
  });
});
