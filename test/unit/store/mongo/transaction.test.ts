/**
 * The registry's transaction loop against a scripted session: it re-runs the function on transient
 * errors, commits again when the outcome is unknown, hands on everything else after aborting, and
 * stops at its deadline on the injected clock instead of the driver's fixed 120 s.
 */
import mongoose from 'mongoose';
import { runTransaction, type TransactionSession } from '../../../../store/mongo/transaction.js';
import { StoreConflictError } from '../../../../store/port.js';

const labelled = (label: string, code = 112) => new mongoose.mongo.MongoServerError({ message: `${label} ${code}`, code, errorLabels: [label] });

/** A session whose commits answer from a script (undefined: success), and which records what it was asked. */
function scriptedSession(commits: Array<Error | undefined> = []) {
  const log: string[] = [];
  let inTransaction = false;
  const session: TransactionSession<{ tag: string }> = {
    startTransaction(options) {
      log.push(`start:${options?.tag}`);
      inTransaction = true;
    },
    async commitTransaction() {
      log.push('commit');
      const outcome = commits.shift();
      if (outcome) throw outcome;
      inTransaction = false;
    },
    async abortTransaction() {
      log.push('abort');
      inTransaction = false;
    },
    inTransaction: () => inTransaction,
    async endSession() {
      log.push('end');
    },
  };
  return { session, log };
}

/** A clock that only moves when a test moves it. */
function manualClock() {
  let t = 0;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

const noSleep = async () => {};

describe('runTransaction', () => {
  it('runs the function once and commits', async () => {
    const { session, log } = scriptedSession();
    const result = await runTransaction(async () => session, async () => 42, { transactionOptions: { tag: 'o' }, deadlineMs: 1000, sleep: noSleep });
    expect(result).toBe(42);
    expect(log).toEqual(['start:o', 'commit', 'end']);
  });

  it('re-runs the function on a TransientTransactionError (a write conflict) with the same options', async () => {
    const { session, log } = scriptedSession();
    let runs = 0;
    const result = await runTransaction(
      async () => session,
      async () => {
        runs++;
        if (runs < 3) throw labelled('TransientTransactionError');
        return 'done';
      },
      { transactionOptions: { tag: 'o' }, deadlineMs: 1000, sleep: noSleep },
    );
    expect(result).toBe('done');
    expect(runs).toBe(3);
    expect(log).toEqual(['start:o', 'abort', 'start:o', 'abort', 'start:o', 'commit', 'end']);
  });

  it('commits again when the outcome of a commit is unknown, without re-running the function', async () => {
    const { session, log } = scriptedSession([labelled('UnknownTransactionCommitResult', 64), undefined]);
    let runs = 0;
    await runTransaction(
      async () => session,
      async () => {
        runs++;
      },
      { transactionOptions: { tag: 'o' }, deadlineMs: 1000, sleep: noSleep },
    );
    expect(runs).toBe(1);
    expect(log).toEqual(['start:o', 'commit', 'commit', 'end']);
  });

  it('stops committing again at its deadline and hands on the last error', async () => {
    const clock = manualClock();
    const unknown = labelled('UnknownTransactionCommitResult', 64);
    const commits = Array.from({ length: 100 }, () => unknown);
    const { session, log } = scriptedSession(commits);
    const original = session.commitTransaction.bind(session);
    // Each commit attempt takes 300 ms of the injected clock (the primary waits wtimeoutMS for a majority).
    session.commitTransaction = async () => {
      clock.advance(300);
      return original();
    };
    const failure = await runTransaction(async () => session, async () => undefined, { transactionOptions: { tag: 'o' }, deadlineMs: 1000, now: clock.now, sleep: noSleep }).then(
      () => null,
      (err: unknown) => err,
    );
    expect(failure).toBe(unknown);
    // Commits at 300, 600, 900 and 1200 ms: the one that ended past the deadline is the last.
    expect(log.filter((l) => l === 'commit')).toHaveLength(4);
    expect(log.at(-1)).toBe('end');
  });

  it('does not commit again after the commit ran out of maxCommitTimeMS', async () => {
    const expired = labelled('UnknownTransactionCommitResult', 50);
    const { session, log } = scriptedSession([expired]);
    await expect(runTransaction(async () => session, async () => undefined, { transactionOptions: { tag: 'o' }, deadlineMs: 1000, sleep: noSleep })).rejects.toBe(expired);
    expect(log).toEqual(['start:o', 'commit', 'end']);
  });

  it('stops re-running at its deadline', async () => {
    const clock = manualClock();
    const { session } = scriptedSession();
    let runs = 0;
    const conflict = labelled('TransientTransactionError');
    const failure = await runTransaction(
      async () => session,
      async () => {
        runs++;
        clock.advance(400);
        throw conflict;
      },
      { transactionOptions: { tag: 'o' }, deadlineMs: 1000, now: clock.now, sleep: noSleep, random: () => 0.5 },
    ).then(
      () => null,
      (err: unknown) => err,
    );
    expect(failure).toBe(conflict);
    expect(runs).toBe(3);
  });

  it('re-runs the function when the commit reports a transient error', async () => {
    const { session, log } = scriptedSession([labelled('TransientTransactionError')]);
    let runs = 0;
    await runTransaction(
      async () => session,
      async () => {
        runs++;
      },
      { transactionOptions: { tag: 'o' }, deadlineMs: 1000, sleep: noSleep },
    );
    expect(runs).toBe(2);
    expect(log).toEqual(['start:o', 'commit', 'start:o', 'commit', 'end']);
  });

  it('aborts and hands on an error of its own (a conflict) without re-running', async () => {
    const { session, log } = scriptedSession();
    const conflict = new StoreConflictError('PRODUCT', 'P-1', 3, 4);
    await expect(
      runTransaction(
        async () => session,
        async () => {
          throw conflict;
        },
        { transactionOptions: { tag: 'o' }, deadlineMs: 1000, sleep: noSleep },
      ),
    ).rejects.toBe(conflict);
    expect(log).toEqual(['start:o', 'abort', 'end']);
  });

  it('hands on a commit error that is neither transient nor unknown', async () => {
    const denied = new mongoose.mongo.MongoServerError({ message: 'not authorized', code: 13 });
    const { session, log } = scriptedSession([denied]);
    await expect(runTransaction(async () => session, async () => undefined, { transactionOptions: { tag: 'o' }, deadlineMs: 1000, sleep: noSleep })).rejects.toBe(denied);
    expect(log).toEqual(['start:o', 'commit', 'end']);
  });

  it('waits a jittered backoff between runs, growing and capped at 500 ms', async () => {
    const { session } = scriptedSession();
    const waits: number[] = [];
    let runs = 0;
    await runTransaction(
      async () => session,
      async () => {
        if (++runs < 20) throw labelled('TransientTransactionError');
      },
      {
        transactionOptions: { tag: 'o' },
        deadlineMs: 60_000,
        random: () => 1,
        sleep: async (ms) => {
          waits.push(ms);
        },
      },
    );
    expect(waits[0]).toBeCloseTo(7.5);
    expect(waits[1]).toBeCloseTo(11.25);
    expect(Math.max(...waits)).toBe(500);
  });
});
