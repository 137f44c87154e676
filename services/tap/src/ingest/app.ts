// The tap's HTTP server: authenticated ingest routes per gateway format, plus operations routes.
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { createHttpApp, registerOpsRoutes } from '@tollgate/platform';
import type { ApiRequestEvent } from '@tollgate/schemas';
import { SpoolFullError, type EventSink, type TextMessage } from '@tollgate/tap-delivery';
import type { TapMetrics } from '../metrics.ts';
import { formats } from './formats/index.ts';
import { ingestRouteOptions } from './ingest-schema.ts';
import type { FormatName, InputFormat, MapContext, SplitResult } from './formats/types.ts';
import { tapTokenCheck, type TapToken } from './tap-tokens.ts';

export interface TapAppOptions {
  /** Bearer tokens, each with the name stamped on the events its requests produce (tap_token). */
  tokens: readonly TapToken[];
  bodyLimitBytes: number;
  maxInflightBytes: number;
  /** Records one body may hold; a body with more is answered 413 before its records are mapped. */
  maxRecords: number;
  retryAfterSeconds: number;
  sink: EventSink;
  mapContext: Omit<MapContext, 'receivedAt'>;
  metrics: TapMetrics;
  registry: Registry;
  /** Whether Kafka is reachable right now, for /readyz. */
  kafkaConnected: () => boolean;
  /** More named checks for /readyz (the file source's files); they do not change readiness. */
  moreChecks?: () => Record<string, string>;
  /** The clock a request's arrival (MapContext.receivedAt) is read from; the system clock when unset. */
  now?: () => Date;
  logger?: Logger;
}

export interface IngestResponse {
  accepted: number;
  rejected: number;
  errors: Array<{ index: number; reason: string }>;
}

/**
 * Billing periods are UTC calendar months, and a month is invoiced once it ends: an event stamped
 * before the month it arrives in lands in a period that may be closed. It is accepted (billing bills
 * it as late usage) and counted (tollgate_tap_events_for_closed_periods_total, by format), so a
 * gateway that ships days late is visible, not silent.
 */
export function openPeriodStart(receivedAt: Date): number {
  return Date.UTC(receivedAt.getUTCFullYear(), receivedAt.getUTCMonth(), 1);
}

/** At most this many per-record errors are listed in one answer; the counts stay exact. */
const MAX_LISTED_ERRORS = 1_000;

/**
 * Heap a parsed record takes until its request is answered, beyond its share of the body: the
 * parsed object, the mapped event and its Kafka message. Measured: ~0.7 KiB for a canonical
 * ndjson line of 200 bytes, ~2.4 KiB for a Kong entry of 380 bytes; an empty object ~0.1 KiB.
 */
const PARSED_RECORD_BYTES = 1024;

type SplitRecords = Extract<SplitResult, { ok: true }>;

/**
 * Key = consumer id, so one consumer's events stay ordered in one partition; anonymous traffic
 * is spread by request id (or event id) instead of piling onto one partition. `json`: the event's
 * own source text when it went through verbatim (see MapResult), which spares re-serialising it.
 */
export function toMessage(event: ApiRequestEvent, json: string = JSON.stringify(event)): TextMessage {
  return { key: event.consumer?.id ?? event.request_id ?? event.event_id, value: json };
}

/**
 * The event's Kafka message with tap_token set to the name of the token its request came with,
 * whatever the record said. `text`: the event's verbatim source text (see MapResult); it stays
 * the message, the name written at its start, unless the record carried a tap_token of its own.
 */
export function stampedMessage(event: ApiRequestEvent, tokenName: string, text: string | undefined): TextMessage {
  if (text !== undefined && event.tap_token === undefined) {
    event.tap_token = tokenName;
    const open = text.indexOf('{');
    return toMessage(event, `${text.slice(0, open + 1)}"tap_token":${JSON.stringify(tokenName)},${text.slice(open + 1)}`);
  }
  event.tap_token = tokenName;
  return toMessage(event);
}

/**
 * The Kafka messages of a split body and the answer's rejections. Kept out of the request handler
 * so that the parsed records die here: a variable of the async handler would keep all of them
 * alive until Kafka acknowledged, long enough to be promoted to the old generation.
 */
function toMessages(format: InputFormat, split: SplitRecords, ctx: MapContext, tokenName: string): { messages: TextMessage[]; answer: IngestResponse; repaired: number; closedPeriod: number } {
  const messages: TextMessage[] = [];
  const answer: IngestResponse = { accepted: 0, rejected: 0, errors: [] };
  let repaired = 0;
  let closedPeriod = 0;
  const periodStart = openPeriodStart(ctx.receivedAt);
  split.records.forEach((record, index) => {
    const mapped = format.map(record, ctx);
    if (mapped.ok) {
      if (mapped.repaired) repaired += 1;
      if (Date.parse(mapped.event.timestamp) < periodStart) closedPeriod += 1;
      const text = mapped.verbatim ? split.texts?.[index] : undefined;
      messages.push(stampedMessage(mapped.event, tokenName, text));
      return;
    }
    answer.rejected += 1;
    if (answer.errors.length < MAX_LISTED_ERRORS) answer.errors.push({ index, reason: mapped.reason });
  });
  return { messages, answer, repaired, closedPeriod };
}

export function buildTapApp(options: TapAppOptions): FastifyInstance {
  // The platform's app: its request log keeps query values and credential headers out.
  const app = createHttpApp({
    ...(options.logger ? { log: options.logger } : {}),
    bodyLimit: options.bodyLimitBytes,
    return503OnClosing: true,
    openapi: { title: 'Tollgate tap', description: 'Receives API gateway access logs and hands them to Kafka as canonical usage events.' },
  });
  registerOpsRoutes(app, options.registry, () => ({
    ready: options.sink.canAccept,
    checks: { kafka: options.kafkaConnected(), spooling: options.sink.isSpooling, spool_bytes: String(options.sink.spoolBytes), ...options.moreChecks?.() },
  }));

  const tokenOf = tapTokenCheck(options.tokens);
  const now = options.now ?? (() => new Date());

  void app.register(async (ingest) => {
    // Bodies arrive as text: each format splits and parses its own records, so one bad line is
    // rejected by index instead of failing the whole batch.
    ingest.removeAllContentTypeParsers();
    ingest.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));

    // Memory stays bounded under bursts: bodies being worked on are counted by their declared
    // length (chunked bodies by the body limit) and a request beyond the budget waits for a retry.
    let inflightBytes = 0;
    const admitted = new WeakMap<object, number>();
    /** The name of the token each admitted request came with. */
    const tokenNames = new WeakMap<object, string>();
    ingest.addHook('onRequest', async (request, reply) => {
      const tokenName = tokenOf(request.headers.authorization);
      if (tokenName === undefined) {
        options.metrics.rejected('-', 'unauthorized');
        return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'unauthorized', message: 'a valid bearer token is required' });
      }
      const declared = Number(request.headers['content-length']);
      const bytes = Number.isFinite(declared) && declared >= 0 ? Math.min(declared, options.bodyLimitBytes) : options.bodyLimitBytes;
      if (inflightBytes > 0 && inflightBytes + bytes > options.maxInflightBytes) {
        options.metrics.rejected('-', 'busy');
        return reply.code(503).header('retry-after', '1').send({ error: 'busy', message: 'too much data in flight; retry shortly' });
      }
      inflightBytes += bytes;
      admitted.set(request, bytes);
      tokenNames.set(request, tokenName);
    });
    /** Counts what parsing a body made against the same budget, until the request is answered. */
    const charge = (request: object, bytes: number): void => {
      if (!admitted.has(request)) return;
      inflightBytes += bytes;
      admitted.set(request, (admitted.get(request) ?? 0) + bytes);
    };
    const release = (request: object): void => {
      inflightBytes -= admitted.get(request) ?? 0;
      admitted.delete(request);
    };
    ingest.addHook('onResponse', (request, _reply, done) => {
      release(request);
      done();
    });
    ingest.addHook('onRequestAbort', (request, done) => {
      release(request);
      done();
    });

    ingest.post<{ Params: { format: string } }>('/v1/ingest/:format', ingestRouteOptions, async (request, reply) => {
      const format = formats[request.params.format as FormatName];
      if (!Object.hasOwn(formats, request.params.format) || !format) {
        return reply.code(404).send({ error: 'unknown_format', message: `format must be one of ${Object.keys(formats).join(', ')}` });
      }
      const contentType = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
      if (!format.contentTypes.includes(contentType)) {
        options.metrics.rejected(format.name, 'content_type');
        return reply.code(415).send({
          error: 'unsupported_media_type',
          message: `${format.name} takes Content-Type ${format.contentTypes.join(' or ')}, not ${contentType || 'none'}`,
        });
      }
      const body = typeof request.body === 'string' ? request.body : '';
      if (body.trim() === '') {
        options.metrics.rejected(format.name, 'empty_body');
        return reply.code(400).send({ error: 'empty_body', message: 'the request body is empty' });
      }
      const split = format.split(body, contentType, options.maxRecords);
      if (!split.ok && split.tooMany) {
        options.metrics.rejected(format.name, 'too_many_records');
        return reply.code(413).send({ error: 'too_many_records', message: `${split.reason} (TAP_MAX_RECORDS)` });
      }
      if (!split.ok) {
        options.metrics.rejected(format.name, 'malformed_body');
        return reply.code(400).send({ error: 'malformed_body', message: split.reason });
      }

      charge(request, split.records.length * PARSED_RECORD_BYTES);
      options.metrics.received(format.name, split.records.length);
      const { messages, answer, repaired, closedPeriod } = toMessages(format, split, { ...options.mapContext, receivedAt: now() }, tokenNames.get(request) ?? '');
      if (answer.rejected > 0) options.metrics.rejected(format.name, 'invalid_record', answer.rejected);
      if (repaired > 0) options.metrics.repaired(format.name, repaired);
      if (closedPeriod > 0) options.metrics.closedPeriod(format.name, closedPeriod);

      try {
        await options.sink.accept(messages);
      } catch (error) {
        options.metrics.rejected(format.name, error instanceof SpoolFullError ? 'spool_full' : 'unavailable', messages.length);
        return reply
          .code(503)
          .header('retry-after', String(options.retryAfterSeconds))
          .send({ error: 'unavailable', message: error instanceof SpoolFullError ? 'Kafka is unreachable and the spool is full; retry later' : 'the tap is shutting down; retry later' });
      }
      answer.accepted = messages.length;
      return reply.code(202).send(answer);
    });
  });
  return app;
}
