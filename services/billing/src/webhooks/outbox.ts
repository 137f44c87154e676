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
import { eventId, type EmitRequest, type EmitResult, type WebhookEmitter, type WebhookEvent, type WebhookEventData, type WebhookEventType } from './events.ts';
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
/** Deliveries attempted per dispatch pass: bounds how much one crash can repeat and how long a pass takes. */
const MAX_PER_PASS = 500;

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
  private emitting: Promise<unknown> = Promise.resolve();
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
    return this.emitAll([{ type, data, dedupKey } as EmitRequest]).then(([result]) => result!);
  }

  /** Emits run one batch at a time, so two emits of one occurrence in this process never race. */
  emitAll(requests: readonly EmitRequest[]): Promise<EmitResult[]> {
    const batch = this.emitting.then(() => this.emitBatch(requests));
    this.emitting = batch.catch(() => undefined);
    return batch;
  }

  private async emitBatch(requests: readonly EmitRequest[]): Promise<EmitResult[]> {
    // A failed load is tried again by the next emit, not remembered.
    this.knownLoaded ??= this.loadKnown().catch((error: unknown) => {
      this.knownLoaded = undefined;
      throw error;
    });
    await this.knownLoaded;
    const ids = requests.map((r) => eventId(r.type, r.dedupKey));
    const unknown = [...new Set(ids.filter((id) => !this.known.has(id)))];
    for (const id of unknown.length > 0 ? await this.store.existingEventIds(unknown) : []) this.known.add(id);
    // The first request of each id not in the outbox yet is the one emitted.
    const fresh = new Map<string, number>();
    ids.forEach((id, i) => {
      if (!this.known.has(id) && !fresh.has(id)) fresh.set(id, i);
    });
    if (fresh.size > 0) {
      const createdAt = this.now();
      const endpoints = await this.store.endpoints();
      await this.store.writeEvents(
        [...fresh].map(([id, i]) => {
          const r = requests[i]!;
          const event: WebhookEvent = { id, type: r.type, created_at: createdAt.toISOString(), data: r.data };
          const targets = endpoints.filter((e) => subscribes(e, r.type)).map((e) => e.endpoint_id);
          return { event_id: id, type: r.type, dedup_key: r.dedupKey, created_at: createdAt, body: JSON.stringify(event), endpoint_ids: targets };
        }),
      );
      for (const [id, i] of fresh) {
        this.known.add(id);
        this.metrics.emitted.inc({ type: requests[i]!.type });
        this.log.debug({ event_id: id, type: requests[i]!.type, dedup_key: requests[i]!.dedupKey }, 'webhook event emitted');
      }
      this.log.info({ events: fresh.size, endpoints: endpoints.length }, 'webhook events emitted');
    }
    return ids.map((id, i) => ({ id, emitted: fresh.get(id) === i }));
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

  /**
   * One pass: pending deliveries due by now are attempted once each (at most MAX_PER_PASS), and
   * their outcomes written in one insert once all have answered. A crash before that write only
   * repeats the pass's deliveries. Resolves when the outcomes are recorded.
   */
  async dispatchOnce(): Promise<void> {
    const [pending, endpoints] = await Promise.all([this.store.pending(), this.store.endpoints()]);
    const byId = new Map(endpoints.map((e) => [e.endpoint_id, e]));
    const now = this.now();
    const due = pending.filter((p) => p.next_attempt_at.getTime() <= now.getTime() && !this.inFlight.has(keyOf(p))).slice(0, MAX_PER_PASS);
    const outcomes: DeliveryRecord[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < due.length) {
        const delivery = due[next++]!;
        outcomes.push(await this.attempt(delivery, byId.get(delivery.endpoint_id)));
      }
    };
    for (const d of due) this.inFlight.add(keyOf(d));
    try {
      await Promise.all(Array.from({ length: Math.min(this.concurrency, due.length) }, worker));
      await this.store.writeDeliveries(outcomes);
    } finally {
      for (const d of due) this.inFlight.delete(keyOf(d));
    }
    for (const o of outcomes) this.metrics.deliveries.inc({ outcome: o.state === 'pending' ? 'retry' : o.state });
    const settled = new Set(outcomes.filter((o) => o.state !== 'pending').map(keyOf));
    const left = pending.filter((p) => !settled.has(keyOf(p)));
    this.metrics.pending.set(left.length);
    const oldest = left.reduce((min, p) => Math.min(min, p.created_at.getTime()), Infinity);
    this.metrics.oldest.set(left.length === 0 ? 0 : Math.max(0, (this.now().getTime() - oldest) / 1000));
  }

  /** One delivery attempt: the state it leaves the delivery in. */
  private async attempt(delivery: PendingDelivery, endpoint: EndpointRecord | undefined): Promise<DeliveryRecord> {
    const outcome = (state: DeliveryRecord['state'], fields: Partial<DeliveryRecord>): DeliveryRecord => ({
      event_id: delivery.event_id,
      endpoint_id: delivery.endpoint_id,
      state,
      attempts: delivery.attempts,
      next_attempt_at: delivery.next_attempt_at,
      last_status: 0,
      last_error: '',
      updated_at: this.now(),
      ...fields,
    });
    if (!endpoint) return outcome('cancelled', { last_error: 'endpoint deleted' });
    const attempts = delivery.attempts + 1;
    const { status, error } = await this.post(endpoint, delivery);
    if (status >= 200 && status < 300) return outcome('delivered', { attempts, last_status: status });
    const retryAt = nextAttemptAt(delivery.created_at, attempts, this.now(), this.policy, this.random());
    if (retryAt === null) {
      this.log.warn({ event_id: delivery.event_id, endpoint_id: endpoint.endpoint_id, attempts, error }, 'webhook delivery given up after the retry window');
      return outcome('failed', { attempts, last_status: status, last_error: error });
    }
    return outcome('pending', { attempts, next_attempt_at: retryAt, last_status: status, last_error: error });
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
