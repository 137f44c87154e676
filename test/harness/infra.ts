// Starts the local infrastructure the tests need (the real Kafka broker, stripe-mock) unless it is
// already running, and remembers what it started so only that is stopped afterwards.
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
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

/**
 * A broker of a test's own (own ports, own data folder, the shared jars), for tests that stop
 * and restart Kafka without disturbing the others.
 */
export class PrivateBroker {
  readonly brokers: string[];
  private readonly env: NodeJS.ProcessEnv;

  constructor(name: string, port: number) {
    this.brokers = [`127.0.0.1:${port}`];
    this.env = {
      ...process.env,
      KAFKA_BROKERS: '',
      TOLLGATE_KAFKA_PORT: String(port),
      TOLLGATE_KAFKA_CONTROLLER_PORT: String(port + 1),
      TOLLGATE_KAFKA_DIR: `${REPO_ROOT}.local/test-kafka/${name}`,
    };
  }

  /** Asynchronous, so a service running in the test process keeps serving meanwhile. */
  async start(): Promise<void> {
    await promisify(execFile)('bash', [scripts.kafka, 'start'], { env: this.env });
  }

  async stop(): Promise<void> {
    await promisify(execFile)('bash', [scripts.kafka, 'stop'], { env: this.env });
  }
}
