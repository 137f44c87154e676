// A real NGINX (Debian's /usr/sbin/nginx, installed by .ci/run) for tests, run as the current user
// under a prefix of its own: the test writes only the http { } body (servers, upstreams, includes of
// the shipped files in deploy/gateways/nginx); pid, error log and temp paths live under the prefix,
// so several instances and test files never meet. Ports come from the kernel (freePort).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { runClockEnv } from './clock.ts';
import { REPO_ROOT } from './infra.ts';

export const NGINX_BIN = process.env.NGINX_BIN ?? '/usr/sbin/nginx';
/** The shipped configuration files, included by absolute path. */
export const NGINX_GATEWAY_DIR = join(REPO_ROOT, 'deploy/gateways/nginx');

/** A port nobody listens on right now (the kernel's choice). */
export async function freePort(): Promise<number> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export interface NginxOptions {
  /** The http { } block's body. `{{prefix}}` is replaced by the instance's prefix folder. */
  http: string;
  /** Ports the config listens on: start() returns once each accepts connections. */
  ports: number[];
  workerProcesses?: number;
}

export class Nginx {
  private constructor(
    readonly prefix: string,
    private readonly confFile: string,
    private readonly child: ChildProcess,
    private readonly exited: Promise<void>,
  ) {}

  static async start(options: NginxOptions): Promise<Nginx> {
    const prefix = mkdtempSync(join(tmpdir(), 'tollgate-nginx-'));
    for (const dir of ['logs', 'temp']) mkdirSync(join(prefix, dir));
    const confFile = join(prefix, 'nginx.conf');
    const temp = (name: string) => `${name}_temp_path ${prefix}/temp/${name};`;
    writeFileSync(
      confFile,
      [
        `worker_processes ${options.workerProcesses ?? 1};`,
        `error_log ${prefix}/logs/error.log info;`,
        'events { worker_connections 1024; }',
        'http {',
        ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(temp),
        options.http.replaceAll('{{prefix}}', prefix),
        '}',
        '',
      ].join('\n'),
    );
    const child = spawn(NGINX_BIN, ['-p', `${prefix}/`, '-e', `${prefix}/logs/error.log`, '-c', confFile, '-g', Nginx.globals(prefix)], { stdio: ['ignore', 'pipe', 'pipe'], env: runClockEnv() });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const nginx = new Nginx(prefix, confFile, child, exited);
    for (const port of options.ports) {
      for (let i = 0; !(await accepts(port)); i += 1) {
        if (child.exitCode !== null || i > 200) {
          child.kill('SIGKILL');
          throw new Error(`nginx did not come up on ${port}: ${output}\n${nginx.errorLog()}`);
        }
        await sleep(50);
      }
    }
    return nginx;
  }

  private static globals(prefix: string): string {
    return `daemon off; pid ${prefix}/nginx.pid;`;
  }

  errorLog(): string {
    try {
      return readFileSync(join(this.prefix, 'logs/error.log'), 'utf8');
    } catch {
      return '';
    }
  }

  /** `nginx -s <signal>` against this instance (reopen: log files opened again by name). */
  async signal(name: 'reopen' | 'reload'): Promise<void> {
    await promisify(execFile)(NGINX_BIN, ['-p', `${this.prefix}/`, '-e', `${this.prefix}/logs/error.log`, '-c', this.confFile, '-g', Nginx.globals(this.prefix), '-s', name]);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    await this.exited;
    clearTimeout(timer);
  }
}

export interface SeenRequest {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  bodyBytes: number;
  /** The client port: the same one twice means a kept-alive connection. */
  remotePort: number;
}

export interface RecordingServer {
  port: number;
  requests: SeenRequest[];
  close(): Promise<void>;
}

/**
 * A tiny HTTP server that records every request and answers with `answer` (default 200 "ok"):
 * the upstream behind NGINX, or a stand-in for a policy point.
 */
export interface RecordedAnswer {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

export async function startRecordingServer(answer: (request: SeenRequest) => RecordedAnswer = () => ({ status: 200, body: 'ok' })): Promise<RecordingServer> {
  const requests: SeenRequest[] = [];
  const server = createServer((req, res) => {
    let bodyBytes = 0;
    req.on('data', (chunk: Buffer) => (bodyBytes += chunk.length));
    req.on('end', () => {
      const seen: SeenRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, bodyBytes, remotePort: req.socket.remotePort ?? 0 };
      requests.push(seen);
      const { status, headers = {}, body = '' } = answer(seen);
      res.writeHead(status, { 'content-type': 'text/plain', 'content-length': String(Buffer.byteLength(body)), ...headers }).end(body);
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    requests,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
