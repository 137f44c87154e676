// What the plugin's tests share: the test broker, a spool of their own, the real path from
// exchanges to Kafka messages, and plain node from the repository's root.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createKafka, kafkaSettingsFromEnv, type KafkaSettings } from '@tollgate/platform/kafka';
import { messagesOf, RecordSetBuilder, type SpoolOptions, type TextMessage } from '@tollgate/tap-delivery';
import { ExchangeBatchWriter, fieldText, NUMBER_FIELDS, scanExchangeBatch, type ExchangeBatch } from '../src/exchange-batch.ts';
import { appendExchanges } from '../src/exchange-record.ts';
import { EXCHANGE_LENGTH, type Exchange } from '../src/exchange.ts';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export function testKafkaSettings(): KafkaSettings {
  return kafkaSettingsFromEnv(process.env, 'tap-plugin-test');
}

export function testKafka() {
  return createKafka(testKafkaSettings());
}

/** A spool in a fresh temporary folder, as large as the tap's default. */
export function testSpool(prefix: string): SpoolOptions {
  return { dir: mkdtempSync(join(tmpdir(), `${prefix}-`)), maxBytes: 1024 * 1024 * 1024, segmentBytes: 64 * 1024 * 1024, fsync: 'always' };
}

/**
 * One exchange as its Kafka message, the way the worker writes it: into a batch
 * (ExchangeBatchWriter, what crosses to the worker), then as records (appendExchanges), read back.
 */
export function messageOf(exchange: Exchange): TextMessage {
  const writer = new ExchangeBatchWriter(1, 256);
  // A batch grows to fit an exchange longer than its room.
  while (!writer.add(exchange));
  const records = new RecordSetBuilder(1);
  appendExchanges(records, writer.take()!);
  return messagesOf(records.build())[0]!;
}

/** The exchanges of a batch, read as the worker reads them (scanExchangeBatch). */
export function readExchangeBatch(batch: ExchangeBatch): Exchange[] {
  const out: Exchange[] = [];
  scanExchangeBatch(batch, (fields) => {
    const exchange = new Array<string | number | null>(EXCHANGE_LENGTH);
    for (let field = 0; field < EXCHANGE_LENGTH; field += 1) {
      const number = NUMBER_FIELDS.indexOf(field);
      if (number === -1) exchange[field] = fieldText(batch.text, fields, field);
      else {
        const value = batch.numbers[fields.numbersAt + number]!;
        exchange[field] = Number.isNaN(value) ? null : value;
      }
    }
    out.push(exchange as Exchange);
  });
  return out;
}

export { runNode } from '../../../test/harness/process.ts';
