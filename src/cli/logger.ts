// The reconciler's log: pino JSON on stderr, human-readable on a terminal, with API keys, tokens
// and auth headers redacted wherever they appear in a log object.
import { pino, type Logger } from 'pino';

export function createLogger(level: string = process.env['ACCESSCTL_LOG_LEVEL'] ?? 'info'): Logger {
  const redact = {
    paths: [
      'apiKey',
      '*.apiKey',
      'headers["x-api-key"]',
      '*.headers["x-api-key"]',
      'headers.authorization',
      '*.headers.authorization',
      'token',
      '*.token',
      'secret',
      '*.secret',
    ],
    censor: '[redacted]',
  };
  if (process.stderr.isTTY) {
    // https://no-color.org: a set, non-empty NO_COLOR turns colour off.
    const colorize = !process.env['NO_COLOR'];
    return pino({ level, redact, transport: { target: 'pino-pretty', options: { destination: 2, colorize, ignore: 'pid,hostname' } } });
  }
  return pino({ level, redact }, pino.destination(2));
}
