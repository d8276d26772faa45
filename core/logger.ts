/** Structured logging with pino. Redaction is the last line of defence: tokens never reach a log call by design. */
import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * The logger shape Apollo Server and Apollo Gateway take, writing to ours. Apollo's debug chatter
 * (query plans, cache notes) is dropped; the rest keeps its level.
 */
export function apolloLoggerOf(logger: Logger): { debug(m: unknown): void; info(m: unknown): void; warn(m: unknown): void; error(m: unknown): void } {
  return { debug: () => {}, info: (m) => logger.info(String(m)), warn: (m) => logger.warn(String(m)), error: (m) => logger.error(String(m)) };
}

export function createLogger(options: { level: string; name: string }): Logger {
  return pino({
    name: options.name,
    level: options.level,
    redact: { paths: ['authorization', 'token', '*.authorization', '*.token', 'req.headers.authorization', 'tfn', '*.tfn'], censor: '[redacted]' },
  });
}
