// What a Node gateway imports to tap its own traffic: the fastify plugin and the worker-thread
// sink (`@tollgate/tap/plugin`), without the tap service, its formats and its schema validator.
export { tollgateTap, type ExchangeSink, type TapPluginOptions } from './plugin.ts';
export { WorkerSink, type WorkerSinkOptions } from './sink/worker-sink.ts';
export type { Exchange } from './exchange.ts';
