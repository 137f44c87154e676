// The durable webhook outbox. emit() writes an event in one insert, naming the endpoints
// subscribed to its type at that moment; it is then delivered to each of them at least once,
// whatever restarts happen in between: a dispatch pass reads what is pending from ClickHouse (not
// from memory), POSTs the signed body, and records the outcome. Failures are retried with
// exponential backoff and jitter (backoff.ts) until the retry window closes, then marked failed.
// Events are deduplicated by key (events.ts): no occurrence is emitted twice. The clock is
// injected, so tests can walk through 72 hours of retries without waiting.
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import { DEFAULT_RETRY_POLICY, nextAttemptAt, type RetryPolicy } from './backoff.ts';
import { eventId, type EmitResult, type WebhookEmitter, type WebhookEvent, type WebhookEventData, type WebhookEventType } from './events.ts';
import { EVENT_ID_HEADER, EVENT_TYPE_HEADER, SIGNATURE_HEADER, signatureHeader } from './signature.ts';
import type { DeliveryRecord, EndpointRecord, OutboxStore, PendingDelivery } from './store.ts';

export interface OutboxOptions {
  store: OutboxStore;
  log: Logger;
  /** Metrics go here; without one (the CLI) they are not kept. */
  registry?: Registry;
  now?: () => Date;
  /** Jitter source, in [0, 1). */
  random?: () => number;
  retry?: Partial<RetryPolicy>;
  /** Per delivery request. */
  timeoutMs?: number;
  /** Deliveries in flight at once. */
  concurrency?: number;
}

/** How far back the dedup cache is filled at start: two periods, the life of a threshold key. */
const DEDUP_CACHE_DAYS = 62;
const USER_AGENT = 'Tollgate-Webhooks/1';

export const subscribes = (endpoint: Pick<EndpointRecord, 'events'>, type: WebhookEventType): boolean => endpoint.events.length === 0 || endpoint.events.includes(type);

function outboxMetrics(registry: Registry | undefined) {
  const registers = registry ? [registry] : [];
  return {
    deliveries: new Counter({ name: 'tollgate_billing_webhook_deliveries_total', help: 'Webhook delivery attempts, by outcome: delivered, retry (failed, tried again later), failed (given up after the retry window), cancelled (endpoint deleted)', labelNames: ['outcome'], registers }),
    pending: new Gauge({ name: 'tollgate_billing_webhook_pending', help: 'Webhook deliveries not yet made, at the latest dispatch pass', registers }),
    oldest: new Gauge({ name: 'tollgate_billing_webhook_oldest_pending_seconds', help: 'Age of the oldest event with a delivery still pending, at the latest dispatch pass (0 when none)', registers }),
    emitted: new Counter({ name: 'tollgate_billing_webhook_events_total', help: 'Webhook events emitted (once per dedup key), by type', labelNames: ['type'], registers }),
  };
}

export class WebhookOutbox implements WebhookEmitter {
  private readonly store: OutboxStore;
  private readonly log: Logger;
  private readonly now: () => Date;
  private readonly random: () => number;
  private readonly policy: RetryPolicy;
  private readonly timeoutMs: number;
  private readonly concurrency: number;
  private readonly metrics: ReturnType<typeof outboxMetrics>;
  /** Event ids known to be in the outbox: emit() answers from here before asking ClickHouse. */
  private readonly known = new Set<string>();
  private knownLoaded: Promise<void> | undefined;
  private readonly emitting = new Map<string, Promise<EmitResult>>();
  private readonly inFlight = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private pass: Promise<void> | undefined;

  constructor(options: OutboxOptions) {
    this.store = options.store;
    this.log = options.log;
    this.now = options.now ?? (() => new Date());
    this.random = options.random ?? Math.random;
    this.policy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.concurrency = options.concurrency ?? 8;
    this.metrics = outboxMetrics(options.registry);
  }

  emit<T extends WebhookEventType>(type: T, data: WebhookEventData[T], dedupKey: string): Promise<EmitResult> {
    const id = eventId(type, dedupKey);
    // One emit per id at a time in this process; across processes the id makes them one row.
    const running = this.emitting.get(id);
    if (running) return running.then((result) => ({ ...result, emitted: false }));
    const emitted = this.emitOnce(id, type, data, dedupKey).finally(() => this.emitting.delete(id));
    this.emitting.set(id, emitted);
    return emitted;
  }

  private async emitOnce<T extends WebhookEventType>(id: string, type: T, data: WebhookEventData[T], dedupKey: string): Promise<EmitResult> {
    this.knownLoaded ??= this.loadKnown();
    await this.knownLoaded;
    if (this.known.has(id) || (await this.store.eventExists(id))) {
      this.known.add(id);
      return { id, emitted: false };
    }
    const createdAt = this.now();
    const event: WebhookEvent<T> = { id, type, created_at: createdAt.toISOString(), data };
    const endpoints = (await this.store.endpoints()).filter((e) => subscribes(e, type));
    await this.store.writeEvent({ event_id: id, type, dedup_key: dedupKey, created_at: createdAt, body: JSON.stringify(event), endpoint_ids: endpoints.map((e) => e.endpoint_id) });
    this.known.add(id);
    this.metrics.emitted.inc({ type });
    this.log.info({ event_id: id, type, dedup_key: dedupKey, endpoints: endpoints.length }, 'webhook event emitted');
    return { id, emitted: true };
  }

  private async loadKnown(): Promise<void> {
    const since = new Date(this.now().getTime() - DEDUP_CACHE_DAYS * 86_400_000);
    for (const id of await this.store.eventIdsSince(since)) this.known.add(id);
  }

  /** Dispatches what is due every `pollMs`, until stop(). */
  start(pollMs: number): void {
    clearInterval(this.timer);
    this.timer = setInterval(() => {
      if (this.pass) return;
      this.pass = this.dispatchOnce()
        .catch((error: unknown) => this.log.warn({ err: error }, 'webhook dispatch pass failed; the next pass tries again'))
        .finally(() => {
          this.pass = undefined;
        });
    }, pollMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.pass;
  }

  /** One pass: every pending delivery due by now is attempted once. Resolves when all are recorded. */
  async dispatchOnce(): Promise<void> {
    const [pending, endpoints] = await Promise.all([this.store.pending(), this.store.endpoints()]);
    const byId = new Map(endpoints.map((e) => [e.endpoint_id, e]));
    const now = this.now();
    const due = pending.filter((p) => p.next_attempt_at.getTime() <= now.getTime() && !this.inFlight.has(keyOf(p)));
    const settled = new Set<string>();
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < due.length) {
        const delivery = due[next++]!;
        this.inFlight.add(keyOf(delivery));
        try {
          if (await this.attempt(delivery, byId.get(delivery.endpoint_id))) settled.add(keyOf(delivery));
        } finally {
          this.inFlight.delete(keyOf(delivery));
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, due.length) }, worker));
    const left = pending.filter((p) => !settled.has(keyOf(p)));
    this.metrics.pending.set(left.length);
    const oldest = left.reduce((min, p) => Math.min(min, p.created_at.getTime()), Infinity);
    this.metrics.oldest.set(left.length === 0 ? 0 : Math.max(0, (this.now().getTime() - oldest) / 1000));
  }

  /** One delivery attempt and its record. True when the delivery is settled (delivered, failed or cancelled). */
  private async attempt(delivery: PendingDelivery, endpoint: EndpointRecord | undefined): Promise<boolean> {
    const record = (state: DeliveryRecord['state'], fields: Partial<DeliveryRecord>): Promise<void> =>
      this.store.writeDelivery({ event_id: delivery.event_id, endpoint_id: delivery.endpoint_id, state, attempts: delivery.attempts, next_attempt_at: delivery.next_attempt_at, last_status: 0, last_error: '', updated_at: this.now(), ...fields });
    if (!endpoint) {
      await record('cancelled', { last_error: 'endpoint deleted' });
      this.metrics.deliveries.inc({ outcome: 'cancelled' });
      return true;
    }
    const attempts = delivery.attempts + 1;
    const { status, error } = await this.post(endpoint, delivery);
    if (status >= 200 && status < 300) {
      await record('delivered', { attempts, last_status: status });
      this.metrics.deliveries.inc({ outcome: 'delivered' });
      return true;
    }
    const retryAt = nextAttemptAt(delivery.created_at, attempts, this.now(), this.policy, this.random());
    if (retryAt === null) {
      await record('failed', { attempts, last_status: status, last_error: error });
      this.metrics.deliveries.inc({ outcome: 'failed' });
      this.log.warn({ event_id: delivery.event_id, endpoint_id: endpoint.endpoint_id, attempts, error }, 'webhook delivery given up after the retry window');
      return true;
    }
    await record('pending', { attempts, next_attempt_at: retryAt, last_status: status, last_error: error });
    this.metrics.deliveries.inc({ outcome: 'retry' });
    return false;
  }

  private async post(endpoint: EndpointRecord, delivery: PendingDelivery): Promise<{ status: number; error: string }> {
    try {
      const answer = await fetch(endpoint.url, {
        method: 'POST',
        body: delivery.body,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.timeoutMs),
        headers: {
          'content-type': 'application/json',
          'user-agent': USER_AGENT,
          [EVENT_ID_HEADER]: delivery.event_id,
          [EVENT_TYPE_HEADER]: delivery.type,
          [SIGNATURE_HEADER]: signatureHeader(endpoint.secret, delivery.body, this.now()),
        },
      });
      await answer.body?.cancel();
      return { status: answer.status, error: answer.ok ? '' : `HTTP ${answer.status}` };
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code;
      return { status: 0, error: cause ?? (error as Error).message };
    }
  }
}

const keyOf = (p: Pick<PendingDelivery, 'event_id' | 'endpoint_id'>): string => `${p.event_id}/${p.endpoint_id}`;
