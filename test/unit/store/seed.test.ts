import { DEMO_DEVELOPER_IDS, DEMO_PRODUCT_IDS, demoRegister } from '../../../registry/demo-register.js';
import { createStore } from '../../../store/index.js';
import type { Store } from '../../../store/port.js';
import { seedDemoRegister } from '../../../store/seed.js';

const NOW = new Date('2030-06-01T00:00:00.000Z');
const register = demoRegister(NOW);
const entityCount = register.developers.length + register.products.length + register.authorisations.length;
const opened: Store[] = [];
async function memoryStore(): Promise<Store> {
  const store = await createStore('sqlite::memory:');
  opened.push(store);
  return store;
}
afterAll(async () => {
  await Promise.all(opened.map((s) => s.close()));
});

describe('seedDemoRegister', () => {
  it('seeds an empty register through registry changes, with history', async () => {
    const store = await memoryStore();
    expect(await seedDemoRegister(store, NOW)).toEqual({ seeded: true });
    expect(await store.currentRevision()).toBe(entityCount);
    expect((await store.listDevelopers()).map((d) => d.id).sort()).toEqual([...DEMO_DEVELOPER_IDS].sort());
    expect((await store.listProducts()).map((p) => p.id).sort()).toEqual([...DEMO_PRODUCT_IDS].sort());
    expect(await store.listClientAuthorisations()).toHaveLength(register.authorisations.length);
    expect(await store.productById('PRD-CERTIFIED')).toEqual({ ...register.products.find((p) => p.id === 'PRD-CERTIFIED'), revision: expect.any(Number) });
    const history = await store.historyOf('PRODUCT', 'PRD-SUSPENDED');
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({ actor: 'seed', reason: 'demo register', before: null });
  });

  it('leaves a register that is not empty alone', async () => {
    const store = await memoryStore();
    await seedDemoRegister(store, NOW);
    const revision = await store.currentRevision();
    expect(await seedDemoRegister(store, NOW)).toEqual({ seeded: false });
    expect(await store.currentRevision()).toBe(revision);
  });

  it('ends with one complete register when two seeders race', async () => {
    const store = await memoryStore();
    const outcomes = await Promise.all([seedDemoRegister(store, NOW), seedDemoRegister(store, NOW)]);
    expect(outcomes.some((o) => o.seeded)).toBe(true);
    expect(await store.currentRevision()).toBe(entityCount);
    expect(await store.listProducts()).toHaveLength(DEMO_PRODUCT_IDS.length);
    expect(await store.listClientAuthorisations()).toHaveLength(register.authorisations.length);
  });
});
