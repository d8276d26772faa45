/**
 * Seeds the demo register (registry/demo-register.ts) into an empty store through
 * `applyRegistryChange`, so every demo entity has its revision and a history entry like any
 * other register change.
 */
import { demoRegister } from '../registry/demo-register.js';
import { StoreConflictError, type ChangeNote, type RegistryChange, type Store } from './port.js';

/**
 * Seeds only when the register is empty (revision 0). Processes starting together may both see
 * an empty register: each entity is created with `expectedRevision: null`, so only one process
 * creates it and the other's StoreConflictError just means "already seeded" (it skips that
 * entity and goes on, so the register ends complete whichever process is ahead).
 * `seeded` is true when this call created at least one entity. `dpopThumbprints`: the demo DPoP
 * key's (core/keys.ts), which the ENHANCED products' tokens are bound to.
 */
export async function seedDemoRegister(store: Store, now: Date = new Date(), options: { dpopThumbprints?: readonly string[] } = {}): Promise<{ seeded: boolean }> {
  if ((await store.currentRevision()) !== 0) return { seeded: false };
  const register = demoRegister(now, options.dpopThumbprints);
  const note: ChangeNote = { action: 'SEED', actor: 'seed', reason: 'demo register', ticket: null, effectiveAt: now.toISOString() };
  const changes: RegistryChange[] = [
    ...register.developers.map((next): RegistryChange => ({ entity: 'DEVELOPER', expectedRevision: null, next, note })),
    ...register.products.map((next): RegistryChange => ({ entity: 'PRODUCT', expectedRevision: null, next, note })),
    ...register.authorisations.map((next): RegistryChange => ({ entity: 'CLIENT_AUTHORISATION', expectedRevision: null, next, note })),
  ];
  let created = 0;
  for (const change of changes) {
    try {
      await store.applyRegistryChange(change);
      created += 1;
    } catch (err) {
      if (!(err instanceof StoreConflictError)) throw err;
    }
  }
  return { seeded: created > 0 };
}
