import { describe, expect, it } from 'vitest';
import { clickHouseSettingsFromEnv } from '../src/clickhouse.ts';
import { ConfigError, EnvReader } from '../src/config.ts';
import { kafkaSettingsFromEnv } from '../src/kafka.ts';

describe('configuration from the environment', () => {
  it('defaults to the embedded ClickHouse and the local broker', () => {
    const ch = clickHouseSettingsFromEnv({});
    expect(ch.url).toBeUndefined();
    expect(ch.database).toBe('tollgate');
    expect(ch.dataDir).toMatch(/\/\.local\/clickhouse$/);
    expect(kafkaSettingsFromEnv({}, 'x').brokers).toEqual([`127.0.0.1:${process.env.TOLLGATE_KAFKA_PORT ?? '9092'}`]); // the local broker's port (kafka.sh)
  });

  it('reads a ClickHouse server and a broker list', () => {
    const ch = clickHouseSettingsFromEnv({
      CLICKHOUSE_URL: 'https://ch.example.com:8443',
      CLICKHOUSE_USER: 'u',
      CLICKHOUSE_PASSWORD: 'p',
      CLICKHOUSE_DATABASE: 'usage',
    });
    expect(ch).toMatchObject({ user: 'u', password: 'p', database: 'usage' });
    expect(ch.url?.origin).toBe('https://ch.example.com:8443');
    expect(kafkaSettingsFromEnv({ KAFKA_BROKERS: 'a:9092, b:9093' }, 'x').brokers).toEqual(['a:9092', 'b:9093']);
  });

  it('reads the replication of created topics once, leaving it to the broker when unset', () => {
    expect(kafkaSettingsFromEnv({}, 'x').replicationFactor).toBeUndefined();
    expect(kafkaSettingsFromEnv({ KAFKA_REPLICATION_FACTOR: '3' }, 'x').replicationFactor).toBe(3);
    for (const bad of ['0', '-1', 'three', '2.5']) {
      const reader = new EnvReader({ KAFKA_REPLICATION_FACTOR: bad });
      kafkaSettingsFromEnv({ KAFKA_REPLICATION_FACTOR: bad }, 'x', reader);
      expect(() => reader.done()).toThrow(/KAFKA_REPLICATION_FACTOR/);
    }
  });

  it('collects every problem and names each variable', () => {
    const reader = new EnvReader({
      CLICKHOUSE_URL: 'not a url',
      CLICKHOUSE_DATABASE: 'bad-name;',
      KAFKA_BROKERS: 'nohost',
      SOME_PORT: '70000',
      SOME_FLAG: 'maybe',
    });
    clickHouseSettingsFromEnv({}, reader);
    kafkaSettingsFromEnv({}, 'x', reader);
    reader.int('SOME_PORT', 1, { min: 1, max: 65_535 });
    reader.bool('SOME_FLAG', false);
    let error: unknown;
    try {
      reader.done();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      'CLICKHOUSE_URL=not a url is not a valid URL',
      'CLICKHOUSE_DATABASE=bad-name; must be a plain identifier',
      'KAFKA_BROKERS entry "nohost" must be host:port',
      'SOME_PORT=70000 must be an integer between 1 and 65535',
      'SOME_FLAG=maybe must be true or false',
    ]);
  });
});
