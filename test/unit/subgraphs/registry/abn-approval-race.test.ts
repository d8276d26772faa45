/**
 * Two PENDING applications under one ABN (possible when they were registered through different
 * processes at once) approved at the same moment: only one may become ACTIVE, whether the two
 * approvals interleave in one process or run in two processes sharing one SQLite file.
 */
import { join } from 'node:path';
import { abnFromNumber } from '../../../../core/ids.js';
import type { Developer } from '../../../../registry/model.js';
import { createStore } from '../../../../store/index.js';
import type { Store } from '../../../../store/port.js';
import { developerMutations } from '../../../../subgraphs/registry/developer-mutations.js';
import { freshDirs } from '../../../helpers/temp-dirs.js';
import { ADMIN, T0 } from './harness.js';

const newDir = freshDirs('abn-race-');
const context = { identity: ADMIN, requestId: null };

function pending(id: string, abn: string): Developer {
  return {
    id, abn, legalName: `Applicant ${id}`, contact: { name: 'Sam Lee', email: 'sam@acme.example', phone: null }, roles: ['DEVELOPER'],
    status: 'PENDING', statusReason: null,
    eligibility: { abnValid: true, declarationsAccepted: true, taxObligationsCurrent: true, abnUnique: true, reasons: [] },
    reviewDueAt: new Date(T0 + 365 * 86_400_000).toISOString(), registeredAt: new Date(T0).toISOString(), revision: 0,
  } as Developer;
}

/** Stores a PENDING developer directly (as a registration in another process would), returning its revision. */
async function seedPending(store: Store, id: string, abn: string): Promise<number> {
  const { revision } = await store.applyRegistryChange({
    entity: 'DEVELOPER', expectedRevision: null, next: pending(id, abn),
    note: { action: 'registerDeveloper', actor: `staff-${id} (dsp:developer)`, reason: 'Developer registration', effectiveAt: new Date(T0).toISOString() },
  });
  return revision;
}

function approve(store: Store, developerId: string, rev: number) {
  const { approveDeveloper } = developerMutations({ store, now: () => T0 + 1000, newDeveloperId: () => 'unused' });
  return approveDeveloper(null, { developerId, expectedRevision: rev, reason: 'Eligibility confirmed' }, context as never);
}

async function activeUnder(store: Store, abn: string): Promise<string[]> {
  return (await store.listDevelopers()).filter((d) => d.abn === abn && (d.status === 'ACTIVE' || d.status === 'SUSPENDED')).map((d) => d.id);
}

describe('concurrent approvals of two applications under one ABN', () => {
  test('interleaved in one process: one becomes ACTIVE, the other is refused with a coded error', async () => {
    const store = await createStore('sqlite::memory:');
    try {
      const abn = abnFromNumber(7001);
      const revA = await seedPending(store, 'DEV-A', abn);
      const revB = await seedPending(store, 'DEV-B', abn);
      const results = await Promise.allSettled([approve(store, 'DEV-A', revA), approve(store, 'DEV-B', revB)]);
      expect(await activeUnder(store, abn)).toHaveLength(1);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const refused = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')!;
      expect(refused.reason?.extensions).toMatchObject({ code: 'ELIGIBILITY_FAILED', check: 'abnUnique' });
    } finally {
      await store.close();
    }
  });

  test('two processes (two stores on one SQLite file): one becomes ACTIVE, the other is refused', async () => {
    const file = join(newDir(), 'registry.db');
    const first = await createStore(`sqlite:${file}`);
    const second = await createStore(`sqlite:${file}`);
    try {
      const abn = abnFromNumber(7002);
      const revA = await seedPending(first, 'DEV-A', abn);
      const revB = await seedPending(second, 'DEV-B', abn);
      const results = await Promise.allSettled([approve(first, 'DEV-A', revA), approve(second, 'DEV-B', revB)]);
      expect(await activeUnder(first, abn)).toHaveLength(1);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const refused = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')!;
      expect(refused.reason?.extensions).toMatchObject({ code: 'ELIGIBILITY_FAILED', check: 'abnUnique' });
    } finally {
      await first.close();
      await second.close();
    }
  });

  test('approved one after the other, the second is refused ELIGIBILITY_FAILED (the recheck)', async () => {
    const store = await createStore('sqlite::memory:');
    try {
      const abn = abnFromNumber(7003);
      const revA = await seedPending(store, 'DEV-A', abn);
      const revB = await seedPending(store, 'DEV-B', abn);
      await approve(store, 'DEV-A', revA);
      await expect(approve(store, 'DEV-B', revB)).rejects.toMatchObject({ extensions: { code: 'ELIGIBILITY_FAILED' } });
      expect(await activeUnder(store, abn)).toEqual(['DEV-A']);
    } finally {
      await store.close();
    }
  });
});
