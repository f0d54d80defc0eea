// Structured JSON logs (pino), one logger per component, every line carrying the component and
// the cluster/instance it speaks of. Upstream's instance manager logs the same way on stdout.
import { pino } from 'pino';

export type Logger = pino.Logger;
export type LogLevel = 'error' | 'warning' | 'info' | 'debug' | 'trace';

/** CNPG's level names (spec.logLevel) to pino's. */
const PINO_LEVELS: Record<LogLevel, pino.Level> = {
  error: 'error',
  warning: 'warn',
  info: 'info',
  debug: 'debug',
  trace: 'trace',
};

function levelFromEnv(): pino.Level {
  const wanted = process.env.CNPG_LOG_LEVEL as LogLevel | undefined;
  return wanted !== undefined && wanted in PINO_LEVELS ? PINO_LEVELS[wanted] : 'info';
}

/**
 * A logger for one component (`instance-manager`, `apiserver`, `controller`...) with fixed
 * bindings such as `{ cluster, namespace, instance }`. Writes to `destination` (stdout by default).
 */
export function componentLogger(
  component: string,
  bindings: Record<string, string> = {},
  opts: { level?: LogLevel; destination?: pino.DestinationStream } = {},
): Logger {
  const level = opts.level === undefined ? levelFromEnv() : PINO_LEVELS[opts.level];
  const options: pino.LoggerOptions = {
    level,
    base: { component, ...bindings },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  };
  return opts.destination === undefined ? pino(options) : pino(options, opts.destination);
}
