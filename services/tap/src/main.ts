// `tsx services/tap/src/main.ts`: the tap as a standalone service.
import { pino } from 'pino';
import { ConfigError } from '@tollgate/platform';
import { tapConfigFromEnv } from './config.ts';
import { startTap } from './service.ts';

const log = pino({ name: 'tap' });
try {
  const tap = await startTap(tapConfigFromEnv(process.env), log);
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info(`${signal}: flushing and stopping`);
    tap.close().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
} catch (error) {
  if (error instanceof ConfigError) console.error(error.message);
  else log.error({ err: error }, 'tap failed to start');
  process.exit(1);
}
