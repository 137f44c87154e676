// Lines already in the canonical api-request/v1 shape (e.g. from an app-side middleware), one
// JSON object per line. The record must say `"schema": "api-request/v1"` itself; nothing is
// filled in. Two things are normalised: the timestamp (any form timestamp() reads → UTC ISO with
// milliseconds) and the path, which loses any query string so credentials in a query cannot
// travel in the event. Everything else is validated as is.
import { API_REQUEST_SCHEMA } from '@tollgate/schemas';
import { finishCanonical, parseJsonLine, safeMap, safeSplit, splitNdjson, splitTarget, timestamp } from './common.ts';
import type { Obj } from './common.ts';
import type { InputFormat, MapResult } from './types.ts';

/**
 * Normalises timestamp and path of a canonical candidate, then validates it. Without `fill` the
 * record is a whole input record, and the result says whether it went through unaltered (verbatim).
 */
export function mapCanonical(rec: Obj, fill?: Obj): MapResult {
  const candidate: Obj = fill === undefined ? rec : { ...fill, ...rec };
  let unchanged = fill === undefined;
  if (candidate.schema !== API_REQUEST_SCHEMA) {
    return { ok: false, reason: `schema must be "${API_REQUEST_SCHEMA}", got ${JSON.stringify(candidate.schema) ?? 'nothing'}` };
  }
  if (candidate.timestamp !== undefined) {
    const ts = timestamp(candidate.timestamp);
    if (ts === undefined) return { ok: false, reason: `timestamp ${JSON.stringify(candidate.timestamp)} is not a recognisable UTC time` };
    unchanged &&= ts === candidate.timestamp;
    candidate.timestamp = ts;
  }
  if (typeof candidate.path === 'string' && /[?#]/.test(candidate.path)) {
    const target = splitTarget(candidate.path);
    if (target !== undefined) {
      unchanged &&= target.path === candidate.path;
      candidate.path = target.path;
    }
  }
  return finishCanonical(candidate, unchanged);
}

export const ndjson: InputFormat = {
  name: 'ndjson',
  contentTypes: ['application/x-ndjson'],
  split: safeSplit((body, _type, maxRecords) => splitNdjson(body, maxRecords)),
  map: safeMap((rec) => mapCanonical(rec)),
  parseLine: parseJsonLine,
};
