// The tap's configuration, read once from the environment at start-up.
import { DEFAULT_TAP_SPOOL_DIR, EnvReader, kafkaSettingsFromEnv, type Env, type KafkaSettings } from '@tollgate/platform';
import { DEFAULT_MAX_BATCH_BYTES, type Compression, type FsyncPolicy } from '@tollgate/tap-delivery';
import { DEFAULT_MAX_FUTURE_SKEW_MS } from './ingest/formats/types.ts';
import { parseTapTokens, type TapToken } from './ingest/tap-tokens.ts';
import { parseTailFiles, type TailSettings } from './sources/tail/tail-files.ts';

export interface TapConfig {
  host: string;
  port: number;
  /** Bearer tokens for /v1/ingest, each with the name stamped on the events it sends. */
  tokens: TapToken[];
  kafka: KafkaSettings;
  topic: string;
  topicPartitions: number;
  compression: Compression;
  bodyLimitBytes: number;
  /** Bodies being processed at once, in bytes; beyond it new requests get 503 + Retry-After. */
  maxInflightBytes: number;
  /** Records one request body may hold; beyond it 413. */
  maxRecords: number;
  maxBatchMessages: number;
  /** A partition's bytes per record batch (before compression); more go in further Produce requests. */
  maxBatchBytes: number;
  lingerMs: number;
  spool: { dir: string; maxBytes: number; segmentBytes: number; fsync: FsyncPolicy };
  retryAfterSeconds: number;
  /** Key of the HMAC that replaces credentials; undefined: kept in <spool dir>/hmac.key. */
  hmacKey: string | undefined;
  secretQueryParams: string[];
  gatewayInstance: string | undefined;
  /** How far ahead of its arrival an event may be stamped; later ones are rejected. */
  maxFutureSkewMs: number;
  /** Log files the tap follows (TAP_TAIL_FILES); none: the file source is off. */
  tail: TailSettings;
}

const MiB = 1024 * 1024;

export const DEFAULT_SECRET_QUERY_PARAMS = ['api_key', 'apikey', 'key', 'token', 'access_token', 'auth', 'signature', 'sig', 'password'];

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/**
 * A duration: milliseconds as a bare number (as the tap's *_MS variables take them), or with a
 * unit: 250ms, 300s, 5m, 1h. A problem is reported for anything else or out of range.
 */
export function durationMs(r: EnvReader, name: string, fallback: number, range: { min: number; max: number }): number {
  const text = r.string(name);
  if (text === undefined) return fallback;
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/.exec(text.trim());
  const ms = match ? Number(match[1]) * (DURATION_UNITS[match[2] ?? 'ms'] ?? 1) : Number.NaN;
  if (!Number.isFinite(ms) || ms < range.min || ms > range.max) {
    r.problem(`${name}=${text} must be a duration from ${range.min} ms to ${range.max / 60_000} min: milliseconds, or a number with ms, s, m or h (e.g. 5m, 300s)`);
    return fallback;
  }
  return Math.round(ms);
}

export function tapConfigFromEnv(env: Env, defaults: { tokens?: string[] } = {}): TapConfig {
  const r = new EnvReader(env);
  const tailFiles = parseTailFiles(r.list('TAP_TAIL_FILES'));
  for (const problem of tailFiles.problems) r.problem(problem);
  const entries = r.list('TAP_TOKENS', defaults.tokens ?? []);
  // A tap that only follows files needs no token: its ingest routes then refuse every request.
  if (entries.length === 0 && tailFiles.files.length === 0) r.problem('TAP_TOKENS is required (unless TAP_TAIL_FILES names files to follow): comma-separated name:token pairs (or bare tokens) that gateways present to /v1/ingest');
  const { tokens, problems } = parseTapTokens(entries);
  for (const problem of problems) r.problem(problem);
  const config: TapConfig = {
    host: r.string('TAP_HOST', '127.0.0.1'),
    port: r.int('TAP_PORT', 8700, { min: 0, max: 65_535 }),
    tokens,
    kafka: kafkaSettingsFromEnv(env, 'tollgate-tap', r),
    topic: r.string('TAP_TOPIC', 'api-requests.v1'),
    topicPartitions: r.int('TAP_TOPIC_PARTITIONS', 6, { min: 1, max: 10_000 }),
    compression: r.oneOf('TAP_COMPRESSION', ['gzip', 'snappy', 'none'] as const, 'snappy'),
    bodyLimitBytes: r.int('TAP_BODY_LIMIT_BYTES', 10 * MiB, { min: 1024, max: 1024 * MiB }),
    maxInflightBytes: r.int('TAP_MAX_INFLIGHT_BYTES', 128 * MiB, { min: 1024, max: 64 * 1024 * MiB }),
    maxRecords: r.int('TAP_MAX_RECORDS', 10_000, { min: 1, max: 1_000_000 }),
    // Smaller sends keep fewer messages inside the producer at once: 2 500 instead of 5 000 took
    // ~25 MB off the tap's peak RSS under full load at the same throughput (docs/benchmarks.md).
    maxBatchMessages: r.int('TAP_MAX_BATCH_MESSAGES', 2_500, { min: 1, max: 100_000 }),
    lingerMs: r.int('TAP_LINGER_MS', 2, { min: 0, max: 1_000 }),
    // Under the broker's message.max.bytes (1 MiB by default) even after snappy on incompressible text.
    maxBatchBytes: r.int('TAP_MAX_BATCH_BYTES', DEFAULT_MAX_BATCH_BYTES, { min: 1024, max: 1024 * MiB }),
    spool: {
      dir: r.string('TAP_SPOOL_DIR', DEFAULT_TAP_SPOOL_DIR),
      maxBytes: r.int('TAP_SPOOL_MAX_BYTES', 1024 * MiB, { min: 1024 }),
      segmentBytes: r.int('TAP_SPOOL_SEGMENT_BYTES', 64 * MiB, { min: 1024 }),
      fsync: r.oneOf('TAP_SPOOL_FSYNC', ['always', 'never'] as const, 'always'),
    },
    retryAfterSeconds: r.int('TAP_RETRY_AFTER_SECONDS', 5, { min: 1, max: 3_600 }),
    hmacKey: r.string('TAP_HMAC_KEY'),
    secretQueryParams: r.list('TAP_SECRET_QUERY_PARAMS', DEFAULT_SECRET_QUERY_PARAMS).map((p) => p.toLowerCase()),
    gatewayInstance: r.string('TAP_GATEWAY_INSTANCE'),
    maxFutureSkewMs: durationMs(r, 'TAP_MAX_FUTURE_SKEW', DEFAULT_MAX_FUTURE_SKEW_MS, { min: 0, max: 3_600_000 }),
    tail: {
      files: tailFiles.files,
      start: r.oneOf('TAP_TAIL_START', ['beginning', 'end'] as const, 'beginning'),
      pollMs: durationMs(r, 'TAP_TAIL_POLL', 250, { min: 10, max: 60_000 }),
    },
  };
  if (config.maxInflightBytes < config.bodyLimitBytes) r.problem('TAP_MAX_INFLIGHT_BYTES must be at least TAP_BODY_LIMIT_BYTES');
  if (!/^[A-Za-z0-9._-]{1,249}$/.test(config.topic)) r.problem(`TAP_TOPIC=${config.topic} is not a valid Kafka topic name`);
  r.done();
  return config;
}
