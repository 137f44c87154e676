// The tap's delivery stage and its Kafka wire, for the tap service and the in-process plugin's
// worker alike: delivery/ (the event sink, the spool, the text message they carry) hands batches
// to kafka/ (records, record batches, Produce requests, the transport). Neither knows the stage
// before it (ingest, the plugin's hook): a caller gives the sink text messages, or writes records itself.
export * from './delivery/event-sink.ts';
export * from './delivery/spool.ts';
export type * from './delivery/text-message.ts';
export * from './kafka/kafka-transport.ts';
export { type Compression } from './kafka/record-batch.ts';
export * from './records.ts';
