// `tsx services/tap/src/main.ts`: the tap as a standalone service.
import { runService } from '@tollgate/platform';
import { tapConfigFromEnv } from './config.ts';
import { startTap } from './service.ts';

await runService('tap', (log) => startTap(tapConfigFromEnv(process.env), log));
