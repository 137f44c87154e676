// The text form ClickHouse DateTime64(3, 'UTC') values and query parameters take,
// '2026-11-26 06:20:27.123'. A ClickHouse adapter concern, so it lives here once, for the enricher
// (event timestamps → rows) and billing (period bounds → query parameters) alike.

/** 'YYYY-MM-DDTHH:MM:SS.mmmZ', what Date.toISOString and the tap write. */
const CANONICAL_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/**
 * A Date, or an ISO 8601 timestamp with any offset, as '2026-11-26 06:20:27.123' (UTC). Canonical
 * UTC text is cut up without a Date round trip: it is the form every tap event carries, and DateTime64
 * parses this form fastest. Text is trusted to be a real instant (events are validated before).
 */
export function clickHouseTime(time: Date | string): string {
  const iso = typeof time === 'string' ? time : time.toISOString();
  if (CANONICAL_UTC.test(iso)) return `${iso.slice(0, 10)} ${iso.slice(11, 23)}`;
  return new Date(Date.parse(iso)).toISOString().slice(0, 23).replace('T', ' ');
}
