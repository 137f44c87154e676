// The contract every gateway input format implements. Parsing is pure: no I/O, no clock except
// the receivedAt the caller passes, no randomness except through newId.
import type { ApiRequestEvent } from '@tollgate/schemas';

export type FormatName = 'kong' | 'envoy' | 'apisix' | 'nginx' | 'combined' | 'ndjson' | 'cloudevents';

export interface MapContext {
  /** When the tap received the batch; used when a record carries no timestamp of its own. */
  receivedAt: Date;
  /** Generates an event id when the record has no request id of its own. */
  newId: () => string;
  /** Keyed HMAC (hex) of a credential: the only form in which a credential may leave the tap. */
  hmac: (secret: string) => string;
  /** Query parameter names whose values are secrets (api_key, token, …): removed from paths. */
  secretQueryParams: ReadonlySet<string>;
  /** Gateway instance name configured for this tap, used when a record names none. */
  gatewayInstance?: string;
  /**
   * How far ahead of receivedAt an event may be stamped (clocks drift); later ones are refused:
   * Kafka refuses record timestamps over an hour ahead, and a billing period must not receive
   * usage before it happened. DEFAULT_MAX_FUTURE_SKEW_MS when unset.
   */
  maxFutureSkewMs?: number;
}

export const DEFAULT_MAX_FUTURE_SKEW_MS = 5 * 60_000;

/**
 * A body split into records, or a reason the whole body is unusable (answered with 400; with 413
 * when it holds more records than the caller takes: tooMany).
 */
export type SplitResult =
  /** texts: each record's own source text, when every record is one JSON line of the body. */
  | { ok: true; records: unknown[]; texts?: readonly string[] }
  | { ok: false; reason: string; tooMany?: true };

/** One record mapped to the canonical event, or the reason it was rejected (reported by index). */
export type MapResult =
  /**
   * verbatim: the event is exactly what its source text parses to (nothing normalised, filled or
   * pruned), so that text may stand for it in Kafka instead of a re-serialisation.
   * repaired: the record was cut short by its writer and the event made from what was left
   * (counted in tollgate_tap_lines_repaired_total).
   */
  | { ok: true; event: ApiRequestEvent; verbatim?: boolean; repaired?: boolean }
  | { ok: false; reason: string };

export interface InputFormat {
  name: FormatName;
  /** Content types accepted for this format (lower case, without parameters). */
  contentTypes: readonly string[];
  /**
   * maxRecords: more records than this refuse the body (tooMany), found before they are parsed
   * where the body's lines tell (NDJSON, text) and before they are mapped otherwise.
   */
  split(body: string, contentType: string, maxRecords?: number): SplitResult;
  map(record: unknown, ctx: MapContext): MapResult;
  /**
   * One line of a log file as the record map() takes (a line that does not parse becomes a
   * record map() rejects with its reason). Present on the formats whose records are one per line:
   * the only ones the tap's file source (sources/tail) can follow.
   */
  parseLine?: (line: string) => unknown;
}
