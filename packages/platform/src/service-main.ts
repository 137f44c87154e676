// The standalone entry point every service shares: start it, log why it could not start, and stop
// it gracefully on SIGTERM or SIGINT (finishing in-flight work, then exiting) — within a deadline.
// The deadline (SHUTDOWN_TIMEOUT_MS) sits under the orchestrator's grace period (Kubernetes'
// terminationGracePeriodSeconds, compose's stop_grace_period): a service that cannot finish in time
// says what it leaves undone and exits non-zero by itself, rather than being killed mid-write.
import { pino, type Logger } from 'pino';
import { ConfigError, EnvReader } from './config.ts';

/** Under Kubernetes' default terminationGracePeriodSeconds (30 s). */
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 25_000;

export interface Stoppable {
  /**
   * Stops taking work, finishes what it holds, and releases its resources. `deadline` aborts when
   * the shutdown deadline has passed: work that may go on as long as it is allowed (the tap draining
   * its spool) stops then, and an abort listener logs what it leaves (the process exits right after).
   */
  close(deadline?: AbortSignal): Promise<void>;
}

export function shutdownTimeoutFromEnv(env: Record<string, string | undefined>): number {
  const r = new EnvReader(env);
  const ms = r.int('SHUTDOWN_TIMEOUT_MS', DEFAULT_SHUTDOWN_TIMEOUT_MS, { min: 1, max: 3_600_000 });
  r.done();
  return ms;
}

export async function runService(name: string, start: (log: Logger) => Promise<Stoppable>): Promise<void> {
  const log = pino({ name, level: process.env.LOG_LEVEL ?? 'info' });
  let timeoutMs: number;
  try {
    timeoutMs = shutdownTimeoutFromEnv(process.env);
  } catch (error) {
    console.error((error as Error).message);
    process.exit(1);
  }
  // Signals are handled from the first moment: one that arrives while the service is still starting
  // (migrations can take a while) stops it as soon as it has started, instead of killing it midway.
  let stopRequested: string | undefined;
  let service: Stoppable | undefined;
  const stop = (): void => {
    log.info(`${stopRequested}: finishing the work in flight and stopping (deadline ${timeoutMs} ms)`);
    const deadline = new AbortController();
    const timer = setTimeout(() => {
      // Listeners run synchronously here: each logs what it abandons before the process ends.
      deadline.abort(new Error(`shutdown deadline of ${timeoutMs} ms passed`));
      log.error(`shutdown deadline of ${timeoutMs} ms passed: exiting with the work above unfinished`);
      process.exit(1);
    }, timeoutMs);
    service!.close(deadline.signal).then(
      () => {
        clearTimeout(timer);
        process.exit(0);
      },
      (error: unknown) => {
        clearTimeout(timer);
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
