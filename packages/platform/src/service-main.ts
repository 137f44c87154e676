// The standalone entry point every service shares: start it, log why it could not start, and stop
// it gracefully on SIGTERM or SIGINT (finishing in-flight work, then exiting).
import { pino, type Logger } from 'pino';
import { ConfigError } from './config.ts';

export interface Stoppable {
  close(): Promise<void>;
}

export async function runService(name: string, start: (log: Logger) => Promise<Stoppable>): Promise<void> {
  const log = pino({ name, level: process.env.LOG_LEVEL ?? 'info' });
  // Signals are handled from the first moment: one that arrives while the service is still starting
  // (migrations can take a while) stops it as soon as it has started, instead of killing it midway.
  let stopRequested: string | undefined;
  let service: Stoppable | undefined;
  const stop = (): void => {
    log.info(`${stopRequested}: finishing the work in flight and stopping`);
    service!.close().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  const onSignal = (signal: string): void => {
    if (stopRequested) return;
    stopRequested = signal;
    if (service) stop();
    else log.info(`${signal} while starting: stopping once started`);
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));
  try {
    service = await start(log);
  } catch (error) {
    if (error instanceof ConfigError) console.error(error.message);
    else log.error({ err: error }, `${name} failed to start`);
    process.exit(1);
  }
  if (stopRequested) stop();
}

/**
 * Runs a task on an interval that never keeps the process alive, never overlaps itself and
 * never lets a failure escape (it is reported and the next round tries again). Returns stop().
 */
export function every(intervalMs: number, task: () => Promise<unknown>, onError: (error: unknown) => void): () => void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    task()
      .catch(onError)
      .finally(() => {
        running = false;
      });
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
