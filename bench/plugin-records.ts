// The plugin worker's event writing alone: exchanges as the hook records them, batched as they
// cross to the worker, written as Kafka records of api-request events (appendExchanges). CPU per
// event, for one consumer's traffic (the writer copies what repeats) and for consumers alternating
// every request (nothing repeats after the latency).
//   npx tsx bench/plugin-records.ts [rounds]
import type { Exchange } from '@tollgate/tap-plugin';
import { ExchangeBatchWriter, type ExchangeBatch } from '@tollgate/tap-plugin/exchange-batch';
import { appendExchanges } from '@tollgate/tap-plugin/exchange-record';
import { RecordSetBuilder } from '@tollgate/tap-delivery/records';
import { table } from './lib.ts';

const rounds = Number(process.argv[2] ?? 500);
const EVENTS = 2_000;

/** What the hello-world's requests record (bench/hello-server.ts), the path varying. */
function exchange(i: number, consumer: string | null): Exchange {
  const elapsed = 0.1 + (i % 7) * 0.01;
  return [null, Date.now() - elapsed, 'GET', `/hello/${i % 100}`, '/hello/:id', '127.0.0.1:18711', 200, elapsed, null, 17, '127.0.0.1', null, 'hello', null, consumer, null, null, null, null, null];
}

function batches(consumerOf: (i: number) => string | null): ExchangeBatch[] {
  return Array.from({ length: 10 }, (_, b) => {
    const writer = new ExchangeBatchWriter(EVENTS, EVENTS * 64);
    for (let i = 0; i < EVENTS; i += 1) writer.add(exchange(b * EVENTS + i, consumerOf(i)));
    return writer.take()!;
  });
}

function nsPerEvent(input: ExchangeBatch[]): { ns: number; bytes: number } {
  const before = process.cpuUsage();
  let bytes = 0;
  for (let r = 0; r < rounds; r += 1) {
    const records = new RecordSetBuilder(6);
    appendExchanges(records, input[r % input.length]!);
    bytes += records.bytes;
    records.release();
  }
  const used = process.cpuUsage(before);
  return { ns: ((used.user + used.system) * 1_000) / (rounds * EVENTS), bytes: bytes / (rounds * EVENTS) };
}

const traffic = { 'one consumer': batches(() => 'bench-consumer'), 'consumers alternating': batches((i) => `c-${i % 2}`) };
for (const input of Object.values(traffic)) nsPerEvent(input); // warm-up
const rows = [];
for (let run = 1; run <= 3; run += 1) {
  for (const [name, input] of Object.entries(traffic)) {
    const { ns, bytes } = nsPerEvent(input);
    rows.push({ run, traffic: name, 'ns/event': ns.toFixed(0), 'bytes/event': bytes.toFixed(0) });
  }
}
console.log(table(rows));
console.log(`${rounds} batches of ${EVENTS} exchanges a run, 6 partitions`);
