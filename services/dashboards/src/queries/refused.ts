// Calls Tollgate's gateway policy refused (a quota or rate limit reached, an API the plan does not
// entitle, a suspended consumer, a blocked API, an unknown key), per consumer and API and by
// decision: visible here though never billed, never counted against a quota and never revenue lost.
// Whole days, hours and minutes come from the refused rollups (0007), which hold refusals only, so
// the question costs little whatever the traffic; the ragged edges come from the raw table.
import { ALLOW_DECISION, GATEWAY_DECISIONS, REFUSED_BY_POLICY_SQL } from '@tollgate/schemas';
import { P } from './params.ts';
import { REFUSED, splitRange, splitSource, type RangePart } from './sources.ts';
import { API_FILTER, CONSUMER_FILTER, col, sqlQuery, type NamedQuery } from './types.ts';

/** Every decision that refuses a call, each a column of the answer (constants: safe in SQL text). */
const REFUSALS = GATEWAY_DECISIONS.filter((decision) => decision !== ALLOW_DECISION);

function refusedColumns(part: RangePart): string {
  return part.raw ? 'toDateTime(ts) AS bucket, consumer_id, api, decision, toUInt64(1) AS calls' : 'bucket, consumer_id, api, decision, calls';
}

export const refusedByPolicy: NamedQuery = sqlQuery({
  name: 'refused_by_policy',
  description: "Calls refused by Tollgate's gateway policy per consumer and API, in total and by decision (never billed)",
  params: [P.from, P.to, P.api, P.consumer, P.limit(100)],
  columns: [col('consumer_id', 'string'), col('api', 'string'), col('refused'), ...REFUSALS.map((decision) => col(decision))],
  sql(db, p, ctx) {
    const filters = `${API_FILTER} AND ${CONSUMER_FILTER}`;
    const parts = splitRange(REFUSED, p.from, p.to, 'day', ctx.retention, ctx.now());
    const u = splitSource(db, parts, refusedColumns, (part) => (part.raw ? `${filters} AND ${REFUSED_BY_POLICY_SQL}` : filters));
    const byDecision = REFUSALS.map((decision) => `sumIf(src.calls, src.decision = '${decision}') AS ${decision}`).join(', ');
    return {
      params: u.params,
      sql: `SELECT consumer_id, api, sum(src.calls) AS refused, ${byDecision}
      FROM ${u.from}
      GROUP BY consumer_id, api ORDER BY refused DESC, consumer_id, api LIMIT {limit:UInt32}`,
    };
  },
});
