/**
 * Index creation when several processes initialise one new database at once: a build that loses
 * the race to an identical build elsewhere is asked again, anything else fails startup.
 */
import mongoose from 'mongoose';
import { buildIndexes } from '../../../../store/mongo/collections.js';

const serverError = (code: number) => new mongoose.mongo.MongoServerError({ message: `error ${code}`, code });

/** A build that fails with these errors first, then succeeds. */
function build(failures: Error[]) {
  let calls = 0;
  return {
    run: async () => {
      calls++;
      const failure = failures.shift();
      if (failure) throw failure;
    },
    calls: () => calls,
  };
}

describe('buildIndexes', () => {
  it.each([285, 276])('asks again while an identical build elsewhere is in progress (code %i)', async (code) => {
    const b = build([serverError(code), serverError(code)]);
    await buildIndexes(b.run, { pauseMs: 0 });
    expect(b.calls()).toBe(3);
  });

  it('gives up after its attempts', async () => {
    const b = build(Array.from({ length: 10 }, () => serverError(285)));
    await expect(buildIndexes(b.run, { attempts: 3, pauseMs: 0 })).rejects.toMatchObject({ code: 285 });
    expect(b.calls()).toBe(3);
  });

  it('fails at once on any other error (a conflicting index definition)', async () => {
    const b = build([serverError(86)]);
    await expect(buildIndexes(b.run, { pauseMs: 0 })).rejects.toMatchObject({ code: 86 });
    expect(b.calls()).toBe(1);
  });
});
