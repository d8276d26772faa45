/** The writers a test file starts, closed after each test (a close that fails or times out is let go). */
import { afterEach } from '@jest/globals';
import type { AccessLogWriter } from '../../../../gateway/access-log/writer.js';

/** Registers the afterEach that closes every writer pushed onto the returned list. */
export function writersClosedAfterEach(timeoutMs = 200): AccessLogWriter[] {
  const writers: AccessLogWriter[] = [];
  afterEach(async () => {
    for (const w of writers.splice(0)) await w.flushAndClose({ timeoutMs }).catch(() => undefined);
  });
  return writers;
}
