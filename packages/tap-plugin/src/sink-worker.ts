// The worker side of WorkerSink: owns the Kafka producer, the spool and the sink, off the main
// thread of the process that serves requests. Receives batches of events, answers with counts.
import { parentPort, workerData } from 'node:worker_threads';
import { pino } from 'pino';
// The Kafka module alone: the platform's index would load the ClickHouse and Stripe clients into the worker.
import { createKafka } from '@tollgate/platform/kafka';
import { EventSink, KafkaTransport, Spool } from '@tollgate/tap-delivery';
import type { ExchangeBatch } from './exchange-batch.ts';
import { appendExchanges } from './exchange-record.ts';
import type { WorkerSinkOptions } from './worker-sink.ts';

const options = workerData as WorkerSinkOptions;
const log = pino({ level: options.logLevel ?? 'warn' });
const port = parentPort;
if (!port) throw new Error('sink-worker.ts runs as a worker thread');

const transport = new KafkaTransport(createKafka(options.kafka, {}, log), options.kafka, options.transport);
await transport.connect().catch((error: unknown) => log.warn({ err: error }, 'Kafka unreachable at start-up; spooling'));
const spool = await Spool.open(options.spool);
const sink = new EventSink(transport, spool, options.sink, { produced: () => undefined, spooled: () => undefined, replayed: () => undefined, state: () => undefined }, log);

port.on('message', (message: { batch?: ExchangeBatch; close?: true }) => {
  if (message.batch) {
    const batch = message.batch;
    const { numbers, text, count } = batch;
    // The buffers go back with the outcome (one message per batch: each costs the event loop).
    const transfer = [numbers.buffer, text.buffer];
    // The exchanges are written as events straight into the sink's next batch of records.
    sink.acceptWritten(count, (records) => appendExchanges(records, batch)).then(
      () => port.postMessage({ delivered: count, numbers, text }, transfer),
      (error: Error) => port.postMessage({ dropped: count, reason: error.message, numbers, text }, transfer),
    );
  }
  if (message.close) {
    void sink
      .close()
      .then(() => transport.close().catch(() => undefined))
      .then(() => spool.close())
      .then(() => port.postMessage({ closed: true }));
  }
});
port.postMessage({ ready: true });
