/** Structured logging with pino. Redaction is the last line of defence: tokens never reach a log call by design. */
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(options: { level: string; name: string }): Logger {
  return pino({
    name: options.name,
    level: options.level,
    redact: { paths: ['authorization', 'token', '*.authorization', '*.token', 'req.headers.authorization', 'tfn', '*.tfn'], censor: '[redacted]' },
  });
}
