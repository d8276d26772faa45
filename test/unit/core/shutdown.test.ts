/**
 * core/shutdown.ts: the signal handler is installed before start-up, and a signal that comes
 * while the gateway starts waits for the start, then drains (review s18b 4: a SIGTERM during
 * start-up killed the process between its ledger OPEN and its chain).
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import type { Logger } from '../../../core/logger.js';
import { terminationSignals, type TerminationSignals } from '../../../core/shutdown.js';

const installed: TerminationSignals[] = [];
afterEach(() => installed.splice(0).forEach((s) => s.dispose()));

function setUp() {
  const messages: string[] = [];
  const log = (_obj: unknown, message: string) => void messages.push(message);
  const logger = { info: log, warn: log, error: log } as unknown as Logger;
  let exited!: (code: number) => void;
  const exit = new Promise<number>((resolve) => (exited = resolve));
  const codes: number[] = [];
  const signals = terminationSignals(logger, (code) => (codes.push(code), exited(code)));
  installed.push(signals);
  return { signals, messages, exit, codes };
}

describe('terminationSignals', () => {
  it('holds a signal that comes during start-up until the start has finished, then drains and exits 0', async () => {
    const { signals, messages, exit, codes } = setUp();
    process.emit('SIGTERM', 'SIGTERM');
    process.emit('SIGINT', 'SIGINT');
    expect(codes).toEqual([]);
    expect(messages).toEqual(['stopping once start-up has finished', 'already draining; signal ignored']);
    let drained = 0;
    signals.ready(async () => void drained++);
    expect(await exit).toBe(0);
    expect([drained, codes]).toEqual([1, [0]]);
  });

  it('drains at once on a signal after start-up, and only once', async () => {
    const { signals, exit, codes } = setUp();
    let drained = 0;
    signals.ready(async () => void drained++);
    expect(drained).toBe(0);
    process.emit('SIGTERM', 'SIGTERM');
    process.emit('SIGTERM', 'SIGTERM');
    expect(await exit).toBe(0);
    expect([drained, codes]).toEqual([1, [0]]);
  });

  it('exits 1 when the drain fails', async () => {
    const { signals, exit } = setUp();
    signals.ready(() => Promise.reject(new Error('store gone')));
    process.emit('SIGINT', 'SIGINT');
    expect(await exit).toBe(1);
  });
});
