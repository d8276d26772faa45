import { CodedError } from '../../../../core/errors.js';
import { createStore } from '../../../../store/index.js';
import { StoreUnavailableError, type Store } from '../../../../store/port.js';
import { applyChange, requireRevision, translateStoreError } from '../../../../subgraphs/registry/apply-change.js';
import { developerIn } from '../../registry/fixtures.js';

let store: Store;
beforeAll(async () => {
  store = await createStore('sqlite::memory:');
});
afterAll(async () => {
  await store.close();
});

const note = { action: 'test', actor: 'a (ato:admin)', reason: 'r', effectiveAt: '2025-03-01T00:00:00.000Z' };

function codeOfThrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err instanceof CodedError ? err.extensions['code'] : err;
  }
  return undefined;
}

describe('applyChange', () => {
  test('returns the entity with the revision the store assigned', async () => {
    const stored = await applyChange(store, 'DEVELOPER', null, { next: developerIn('PENDING', { id: 'DEV-AC1', revision: 0 }), note });
    expect(stored.revision).toBe((await store.developerById('DEV-AC1'))!.revision);
  });

  test('a race lost inside the store transaction becomes REVISION_CONFLICT with both revisions', async () => {
    const created = await applyChange(store, 'DEVELOPER', null, { next: developerIn('PENDING', { id: 'DEV-AC2', revision: 0 }), note });
    await applyChange(store, 'DEVELOPER', created.revision, { next: { ...created, status: 'ACTIVE' }, note });
    const actual = (await store.developerById('DEV-AC2'))!.revision;
    const err = await applyChange(store, 'DEVELOPER', created.revision, { next: { ...created, status: 'REJECTED' }, note }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CodedError);
    expect((err as CodedError).extensions).toMatchObject({ code: 'REVISION_CONFLICT', expectedRevision: created.revision, actualRevision: actual });
    expect((await store.developerById('DEV-AC2'))!.status).toBe('ACTIVE');
  });

  test('a denial becomes its coded error and nothing is stored', async () => {
    const before = await store.currentRevision();
    const err = await applyChange(store, 'DEVELOPER', null, { code: 'ILLEGAL_TRANSITION', message: 'no', details: { currentState: 'REVOKED' } }).catch((e: unknown) => e);
    expect((err as CodedError).extensions).toMatchObject({ code: 'ILLEGAL_TRANSITION', currentState: 'REVOKED' });
    expect(await store.currentRevision()).toBe(before);
  });

  test('an unreachable store is REGISTRY_UNAVAILABLE; a stale read is REVISION_CONFLICT', () => {
    expect((translateStoreError(new StoreUnavailableError('down')) as CodedError).extensions['code']).toBe('REGISTRY_UNAVAILABLE');
    expect(codeOfThrown(() => requireRevision({ revision: 4 }, 3))).toBe('REVISION_CONFLICT');
    expect(codeOfThrown(() => requireRevision(null, 3))).toBe('REVISION_CONFLICT');
    expect(codeOfThrown(() => requireRevision({ revision: 3 }, 3))).toBeUndefined();
  });
});
