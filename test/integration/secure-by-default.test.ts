/** The gateway refuses to start when a field reachable from a root type carries no enforcement directive. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../core/config.js';
import { ensureKeys } from '../../core/keys.js';
import { createLogger } from '../../core/logger.js';
import { UncoveredFieldsError } from '../../gateway/apollo/filtering-gateway.js';
import { startGateway } from '../../gateway/server.js';
import { composeSupergraph } from '../../scripts/compose-lib.js';
import { createStore } from '../../store/index.js';
import { subgraphSdl } from '../../subgraphs/shared/sdl.js';

describe('secure by default', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'dsp-uncovered-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('refuses to start on a supergraph with an uncovered field, naming it', async () => {
    const leaky = composeSupergraph(undefined, (name) =>
      name === 'clients' ? subgraphSdl(name).replace('type Query {', 'type Query {\n  leak: String\n  nested: Leaky @public\n') + '\ntype Leaky { open: String }\n' : subgraphSdl(name),
    );
    const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent' }, { dataDir, port: 0 });
    const store = await createStore('sqlite::memory:');
    const keys = await ensureKeys(dataDir);
    try {
      const started = startGateway({ config, store, keys, supergraphSdl: leaky, logger: createLogger({ level: 'silent', name: 't' }) });
      await expect(started).rejects.toBeInstanceOf(UncoveredFieldsError);
      await expect(started).rejects.toMatchObject({ fields: ['Leaky.open', 'Query.leak'] });
    } finally {
      await store.close();
    }
  });
});
