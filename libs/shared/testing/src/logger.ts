import { createLogger, type Logger } from '@signal-mesh/util-logging';

/** A logger for tests: silent unless TEST_LOG_LEVEL asks for more. */
export function testLogger(service = 'test'): Logger {
  const level = (process.env['TEST_LOG_LEVEL'] as 'debug' | 'info' | 'warn' | 'error' | undefined) ?? 'silent';
  return createLogger({ service, level });
}
