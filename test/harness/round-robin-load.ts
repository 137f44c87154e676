// Steady load through several taps, as gateways send it: a round-robin client that retries on the
// next tap whatever was not acknowledged (connection refused or reset, a timeout, a 5xx or 503),
// until a tap answers 202. Records are NGINX JSON log lines carrying $request_id, so a retried
// request keeps its event ids (nginx:<request_id>) and the enricher's (consumer_id, event_id)
// dedup stores it once even when the first attempt reached Kafka before its tap died.
import { request } from 'node:http';

export interface LoadReport {
  /** Event ids of every record a tap acknowledged (202). */
  acknowledged: Set<string>;
  requests: number;
  /** Attempts that failed and were sent again (to the next tap). */
  retries: number;
  /** Acknowledged requests sent once more on purpose (a gateway retrying after a lost answer). */
  resent: number;
  /** The longest time in which no tap acknowledged anything, in ms. */
  longestStallMs: number;
}

const ATTEMPT_TIMEOUT_MS = 10_000;

/** POSTs one body; resolves with the status (0: no answer) and the answer's text. */
function post(url: string, token: string, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve) => {
    const req = request(url, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-ndjson' }, timeout: ATTEMPT_TIMEOUT_MS }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      res.on('error', () => resolve({ status: 0, text }));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve({ status: 0, text: '' }));
    req.end(body);
  });
}

export class RoundRobinClient {
  private next = 0;
  retries = 0;

  constructor(
    private readonly taps: readonly string[],
    private readonly token: string,
    private readonly format = 'nginx',
  ) {}

  /** Sends until a tap acknowledges; the retry goes to the next tap after a short pause. */
  async send(body: string, stopAt: number): Promise<void> {
    for (let attempt = 0; ; attempt += 1) {
      const tap = this.taps[this.next++ % this.taps.length] as string;
      const { status, text } = await post(`${tap}/v1/ingest/${this.format}`, this.token, body);
      if (status === 202) {
        const { rejected } = JSON.parse(text) as { rejected: number };
        if (rejected > 0) throw new Error(`tap ${tap} rejected records: ${text}`);
        return;
      }
      if (status >= 400 && status < 500 && status !== 408 && status !== 429) throw new Error(`tap ${tap} refused the request: ${status} ${text}`);
      if (Date.now() > stopAt) throw new Error(`no tap acknowledged a request within the deadline (last status ${status})`);
      this.retries += 1;
      await new Promise((r) => setTimeout(r, Math.min(1_000, 50 * 2 ** Math.min(attempt, 5))));
    }
  }
}

export interface LoadOptions {
  taps: readonly string[];
  token: string;
  /** Requests in flight at once. */
  concurrency: number;
  recordsPerRequest: number;
  /** Pause between one worker's requests. */
  pauseMs: number;
  /** Prefix making this run's request ids unique. */
  runId: string;
  consumers: number;
  /** Share of acknowledged requests sent again. */
  resendShare: number;
  random: () => number;
}

/** An NGINX access-log line of the tollgate log_format. */
function line(requestId: string, consumer: string, now: number): string {
  return JSON.stringify({
    msec: (now / 1000).toFixed(3),
    request_id: requestId,
    remote_addr: '198.51.100.23',
    method: 'GET',
    uri: '/v1/orders/42',
    status: '200',
    request_length: '412',
    bytes_sent: '1893',
    request_time: '0.012',
    upstream_response_time: '0.010',
    host: 'api.example.com',
    user_agent: 'chaos/1',
    tollgate_consumer: consumer,
  });
}

export class SteadyLoad {
  private stopped = false;
  private workers: Promise<void>[] = [];
  private lastAck = Date.now();
  private seq = 0;
  readonly client: RoundRobinClient;
  readonly report: LoadReport = { acknowledged: new Set(), requests: 0, retries: 0, resent: 0, longestStallMs: 0 };

  constructor(private readonly options: LoadOptions) {
    this.client = new RoundRobinClient(options.taps, options.token);
  }

  start(): void {
    this.lastAck = Date.now();
    this.workers = Array.from({ length: this.options.concurrency }, () => this.work());
  }

  private noteAck(): void {
    const now = Date.now();
    this.report.longestStallMs = Math.max(this.report.longestStallMs, now - this.lastAck);
    this.lastAck = now;
  }

  private async work(): Promise<void> {
    const { recordsPerRequest, consumers, runId, random } = this.options;
    while (!this.stopped) {
      const now = Date.now();
      const ids: string[] = [];
      const lines: string[] = [];
      for (let i = 0; i < recordsPerRequest; i += 1) {
        const requestId = `${runId}-${(this.seq++).toString(36)}`;
        ids.push(`nginx:${requestId}`);
        lines.push(line(requestId, `c-${Math.floor(random() * consumers)}`, now));
      }
      const body = `${lines.join('\n')}\n`;
      this.report.requests += 1;
      await this.client.send(body, now + 180_000);
      for (const id of ids) this.report.acknowledged.add(id);
      this.noteAck();
      if (random() < this.options.resendShare) {
        // The gateway lost the 202 and sent the request again: same lines, same event ids.
        await this.client.send(body, Date.now() + 180_000);
        this.report.resent += 1;
        this.noteAck();
      }
      await new Promise((r) => setTimeout(r, this.options.pauseMs));
    }
  }

  /** Stops sending and waits for every request in flight to be acknowledged. */
  async stop(): Promise<LoadReport> {
    this.stopped = true;
    await Promise.all(this.workers);
    this.report.retries = this.client.retries;
    return this.report;
  }
}
