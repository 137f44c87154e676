// vitest globalSetup for every workspace: the real broker and stripe-mock when the workspace needs
// them, started only when not already running (the root `npm test` starts them once for all).
import { ensureRunning, stop, type Service } from './infra.ts';

export default function setup(): () => void {
  const needed = (process.env.TOLLGATE_TEST_INFRA ?? '').split(',').filter((s) => s !== '') as Service[];
  const started = needed.filter((service) => ensureRunning(service));
  return () => {
    for (const service of started) stop(service);
  };
}
