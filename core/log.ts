import { Logger as GraphileLogger, type LogLevel } from 'graphile-worker';
import pino, { type Logger } from 'pino';
import { traceLogFields } from './tracing.ts';

export type { Logger };

/**
 * JSON logs (pino). Anything that may carry a secret is redacted by path, so an API key in a
 * header or a provider credential in a config object never reaches the log.
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'clarion' },
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers.cookie',
          'headers.authorization',
          'apiKey',
          '*.apiKey',
          'config.*',
          '*.config.*',
          'password',
          '*.password',
          'secret',
          '*.secret',
        ],
        censor: '[redacted]',
      },
      timestamp: pino.stdTimeFunctions.isoTime,
      // The trace of the work a line is about (when tracing is on), to go from a log line to its trace.
      mixin: traceLogFields,
    },
    destination,
  );
}

/** graphile-worker's log calls, forwarded to pino at the same level. */
export function graphileLogger(log: Logger): GraphileLogger {
  const child = log.child({ component: 'worker' });
  return new GraphileLogger(() => (level: LogLevel, message: string, meta?: Record<string, unknown>) => {
    // A line per completed job would double Clarion's own per-event lines at info: debug it is.
    const routine = level === 'info' && message.startsWith('Completed task ');
    const method = level === 'error' ? 'error' : level === 'warning' ? 'warn' : level === 'info' && !routine ? 'info' : 'debug';
    child[method](meta ?? {}, message);
  });
}
