/**
 * Requests start in cohorts (gateway/pipeline.ts inCohorts): nothing starts in the turn it
 * arrives in; everything that arrived in one turn starts together at its end; each caller gets
 * its own outcome.
 */
import { inCohorts } from '../../../gateway/pipeline.js';

const turnEnd = () => new Promise<void>((resolve) => setImmediate(resolve));

test('calls made in one turn start together at its end, in arrival order, each with its own outcome', async () => {
  const started: string[] = [];
  const handle = inCohorts(async (name: string) => {
    started.push(name);
    if (name === 'bad') throw new Error('refused');
  });
  const a = handle('a');
  const b = handle('bad');
  const c = handle('c');
  expect(started).toEqual([]);
  await Promise.resolve(); // microtasks alone do not start them
  expect(started).toEqual([]);
  await expect(a).resolves.toBeUndefined();
  expect(started).toEqual(['a', 'bad', 'c']);
  await expect(b).rejects.toThrow('refused');
  await expect(c).resolves.toBeUndefined();
});

test('a call made after a cohort started waits for the next turn, not for the earlier cohort to finish', async () => {
  const started: string[] = [];
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  const handle = inCohorts(async (name: string) => {
    started.push(name);
    if (name === 'slow') await held;
  });
  const slow = handle('slow');
  await turnEnd();
  expect(started).toEqual(['slow']);
  const next = handle('next');
  await turnEnd();
  await next;
  expect(started).toEqual(['slow', 'next']);
  release();
  await slow;
});
