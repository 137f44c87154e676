// What a Node gateway imports to tap its own traffic (`@tollgate/tap-plugin`): the fastify plugin
// and the worker-thread sink, without the tap service, its formats and its schema validator.
// package.json also exports the batch (./exchange-batch) and the record writer (./exchange-record)
// alone, for bench/plugin-records.ts.
export { tollgateTap, type ExchangeSink, type TapPluginOptions } from './plugin.ts';
export { WorkerSink, type WorkerSinkOptions } from './worker-sink.ts';
export type { Exchange } from './exchange.ts';
