// The fault suite's real processes: a private Kafka (1 or 3 brokers, through deploy/local/kafka.sh
// with its own folder and ports, never the shared broker), the ClickHouse stand-in, taps (one per
// port) and enrichers (one consumer group). Each can be killed with a real signal and brought back
// as the same member (same port, same spool folder, same group), which is what an orchestrator
// restarting a crashed pod does.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { promisify } from 'node:util';
import { REPO_ROOT } from './infra.ts';

const run = promisify(execFile);
const KAFKA_SCRIPT = `${REPO_ROOT}deploy/local/kafka.sh`;
const KAFKA_VERSION_LIBS = `${REPO_ROOT}.local/kafka/4.4.0/libs`;

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The private Kafka of one suite run. */
export class LocalKafka {
  readonly env: NodeJS.ProcessEnv;

  constructor(
    readonly nodes: 1 | 3,
    readonly port: number,
    dir: string,
  ) {
    this.env = {
      ...process.env,
      KAFKA_BROKERS: '',
      KAFKA_LOCAL_BROKERS: String(nodes),
      TOLLGATE_KAFKA_PORT: String(port),
      TOLLGATE_KAFKA_CONTROLLER_PORT: String(port + 100),
      TOLLGATE_KAFKA_DIR: dir,
      TOLLGATE_KAFKA_LIBS: process.env.TOLLGATE_KAFKA_LIBS ?? KAFKA_VERSION_LIBS,
      TOLLGATE_KAFKA_HEAP: process.env.TOLLGATE_KAFKA_HEAP ?? '-Xms128m -Xmx384m',
    };
    delete this.env.KAFKA_BROKERS;
  }

  get brokers(): string {
    return Array.from({ length: this.nodes }, (_, i) => `127.0.0.1:${this.port + i}`).join(',');
  }

  private async script(...args: string[]): Promise<string> {
    const { stdout } = await run('bash', [KAFKA_SCRIPT, ...args], { env: this.env, timeout: 180_000 });
    return stdout.trim();
  }

  start = () => this.script('start');
  stop = () => this.script('stop');
  startNode = (node: number) => this.script('start-node', String(node));

  async pid(node: number): Promise<number | undefined> {
    const pid = await this.script('pid', String(node)).catch(() => '');
    return /^\d+$/.test(pid) ? Number(pid) : undefined;
  }

  async signal(node: number, signal: NodeJS.Signals): Promise<void> {
    const pid = await this.pid(node);
    if (pid === undefined) throw new Error(`broker ${node} is not running`);
    process.kill(pid, signal);
    if (signal === 'SIGKILL') while (await this.pid(node)) await sleep(100);
  }
}

/** Every service process started and not yet seen exiting, for a last-resort cleanup. */
const alive = new Set<ChildProcess>();

/** Starts of a process that exits before it is ready, before the suite gives up. */
const START_ATTEMPTS = 3;

class ExitedBeforeReady extends Error {}

/** One service process, restartable with the same settings. */
export class ServiceProcess {
  private child: ChildProcess | undefined;

  /** SIGKILLs every service process this process started that still runs (a test's afterAll, after a timeout). */
  static killAll(): void {
    for (const child of alive) child.kill('SIGKILL');
  }
  private runs = 0;

  constructor(
    readonly name: string,
    private readonly main: string,
    private readonly env: NodeJS.ProcessEnv,
    private readonly logDir: string,
    /** A line of the process's output that says it is ready. */
    private readonly readyLine: RegExp,
    private readonly args: readonly string[] = [],
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /**
   * Starts it and resolves once it printed its ready line. A process that exits before it is ready
   * is started again, up to three times, as its supervisor (systemd, Kubernetes) would: a service
   * started while the broker it first asks is down gives up with an error (logged) and exits.
   */
  async start(timeoutMs = 120_000): Promise<void> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.startOnce(timeoutMs);
      } catch (error) {
        if (!(error instanceof ExitedBeforeReady) || attempt === START_ATTEMPTS) throw error;
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
    }
  }

  private startOnce(timeoutMs: number): Promise<void> {
    mkdirSync(this.logDir, { recursive: true });
    const log = createWriteStream(`${this.logDir}/${this.name}-${this.runs}.log`);
    this.runs += 1;
    const child = spawn(process.execPath, ['--import', 'tsx', this.main, ...this.args], { cwd: REPO_ROOT, env: this.env, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    alive.add(child);
    child.once('exit', () => alive.delete(child));
    // A line written as the process dies must not fail the suite (EPIPE).
    child.stdin?.on('error', () => undefined);
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    return new Promise((resolve, reject) => {
      let seen = '';
      const timer = setTimeout(() => reject(new Error(`${this.name} was not ready within ${timeoutMs} ms; see ${this.logDir}`)), timeoutMs);
      child.stdout?.on('data', (chunk: Buffer) => {
        seen = (seen + chunk.toString()).slice(-4096);
        if (this.readyLine.test(seen)) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new ExitedBeforeReady(`${this.name} exited (${code ?? signal}) before it was ready; see ${this.logDir}`));
      });
    });
  }

  /** Writes one line to its stdin (a process that takes commands there, such as a billing replica's `fire <instant>`). */
  send(line: string): void {
    if (!this.running) throw new Error(`${this.name} is not running`);
    this.child?.stdin?.write(`${line}\n`);
  }

  /** Sends the signal and, for a kill, waits until the process is gone. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    if (signal === 'SIGKILL' || signal === 'SIGTERM') await gone;
  }
}

/** The stand-in ClickHouse server over one chDB folder (see clickhouse-stand-in.ts). */
export function clickHouseStandIn(dataDir: string, port: number, logDir: string): ServiceProcess {
  return new ServiceProcess('clickhouse', `${REPO_ROOT}test/harness/clickhouse-stand-in.ts`, process.env, logDir, /listening \d+/, [dataDir, String(port)]);
}
