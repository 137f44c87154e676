// Starts the local infrastructure the tests need (the real Kafka broker, stripe-mock) unless it is
// already running, and remembers what it started so only that is stopped afterwards.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export type Service = 'kafka' | 'stripe-mock';

const scripts: Record<Service, string> = {
  kafka: `${REPO_ROOT}deploy/local/kafka.sh`,
  'stripe-mock': `${REPO_ROOT}deploy/local/stripe-mock.sh`,
};

function run(service: Service, command: string): boolean {
  try {
    execFileSync('bash', [scripts[service], command], {
      stdio: command === 'status' ? 'ignore' : 'inherit',
      env: process.env,
    });
    return true;
  } catch {
    return false;
  }
}

/** Returns whether this call started the service (false when it was already up). */
export function ensureRunning(service: Service): boolean {
  if (service === 'kafka' && process.env.KAFKA_BROKERS) return false;
  if (run(service, 'status')) return false;
  if (!run(service, 'start')) throw new Error(`could not start ${service}; see the output above`);
  return true;
}

export function stop(service: Service): void {
  run(service, 'stop');
}

export const STRIPE_MOCK_URL = `http://127.0.0.1:${process.env.TOLLGATE_STRIPE_MOCK_PORT ?? '12111'}`;
