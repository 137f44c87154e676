// `npm start`: the whole pipeline in one process on the embedded ClickHouse (chDB binds its data
// folder to one process, so tap, enricher, billing and the dashboard share it here). Starts the
// local Kafka broker unless KAFKA_BROKERS names a cluster, feeds demo traffic through the tap's
// real ingest routes (unless --no-demo, or the data is already there), runs a billing dry run,
// prints a summary and the URLs, and serves until Ctrl-C.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
// Billing's narrow entries (config, service): the stack starts billing, it needs none of its internals.
import { billingConfigFromEnv } from '@tollgate/billing/config';
import { startBilling } from '@tollgate/billing/service';
import { dashboardConfigFromEnv, startDashboard } from '@tollgate/dashboards';
import { enricherConfigFromEnv, startEnricher } from '@tollgate/enricher';
import { ConfigError, createClickHouseClient, parseCommandLine, type CliSpec, describeClickHouse, EmbeddedClickHouseBusyError, queryRows, shutdownTimeoutFromEnv } from '@tollgate/platform';
import { formatMoney, periodOf } from '@tollgate/pricing';
import { migrate, REFUSED_BY_POLICY_SQL } from '@tollgate/schemas';
import { startTap, tapConfigFromEnv } from '@tollgate/tap';
import { feedDemo } from './demo.ts';
import { DEMO_CONSUMERS } from './demo-traffic.ts';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const KAFKA_SCRIPT = `${REPO_ROOT}deploy/local/kafka.sh`;
const DEMO_CATALOG = fileURLToPath(new URL('../demo-catalog.json', import.meta.url));

function kafkaRunning(): boolean {
  try {
    execFileSync('bash', [KAFKA_SCRIPT, 'status'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Tokens the operator did not set are generated for this run and printed with the URLs. */
function withGeneratedTokens(env: NodeJS.ProcessEnv): { env: NodeJS.ProcessEnv; generated: string[] } {
  const generated: string[] = [];
  const copy = { ...env };
  for (const name of ['TAP_TOKENS', 'BILLING_ADMIN_TOKENS', 'BILLING_GATEWAY_TOKENS', 'QUERY_TOKENS']) {
    if (!copy[name]) {
      copy[name] = randomBytes(18).toString('base64url');
      generated.push(name);
    }
  }
  copy.BILLING_SCHEDULE ??= 'off';
  return { env: copy, generated };
}

const CLI: CliSpec = {
  command: 'npm start --',
  summary:
    'Runs the whole pipeline in one process on the embedded ClickHouse: the local Kafka broker (unless KAFKA_BROKERS is set), tap, enricher, billing and the dashboard; feeds demo traffic through the tap, makes a billing dry run, prints a summary and the URLs, and serves until Ctrl-C.',
  options: { 'no-demo': { type: 'boolean', description: 'start empty: no demo traffic, no demo API catalog' } },
  examples: ['npm start', 'npm start -- --no-demo', 'KAFKA_BROKERS=kafka-1:9092 CLICKHOUSE_URL=http://clickhouse:8123 npm start -- --no-demo'],
  notes: ['Every service is configured by environment variables: see the README ("Configuration").'],
};

async function main(): Promise<void> {
  const started = Date.now();
  // One instant for the demo's traffic and the billing period, so a start across midnight at a
  // month's end cannot feed one month and price the next.
  const now = new Date(started);
  const args = parseCommandLine(CLI, process.argv.slice(2));
  if (!args.ok) process.exit(args.exitCode);
  const values = args.values;
  const { env } = withGeneratedTokens(process.env);
  // The demo's gateways name the same product three ways (Kong by service, Istio by cluster,
  // NGINX by server name); its API catalog maps them onto one product each.
  if (!values['no-demo']) env.API_CATALOG_FILE ??= DEMO_CATALOG;
  // The consumer console needs a consumer token: the demo's busiest consumer gets one for this run.
  const demoConsumer = DEMO_CONSUMERS[0]?.id;
  if (!values['no-demo'] && demoConsumer && !env.QUERY_CONSUMER_TOKENS) env.QUERY_CONSUMER_TOKENS = `${randomBytes(18).toString('base64url')}:${demoConsumer}`;
  const log = pino({ level: env.LOG_LEVEL ?? 'warn' }, pino.destination(2));

  // One environment for all: the tap and billing find the same credential HMAC key (TAP_HMAC_KEY,
  // else <TAP_SPOOL_DIR>/hmac.key), so an API key added through billing matches the tap's
  // credential_hmac; the enricher and billing read the same API_CATALOG_FILE.
  const tapConfig = tapConfigFromEnv(env);
  const enricherConfig = enricherConfigFromEnv(env);
  const billingConfig = billingConfigFromEnv(env);
  const dashboardConfig = dashboardConfigFromEnv(env);
  const shutdownTimeoutMs = shutdownTimeoutFromEnv(env);

  // Stop at the end only a broker this run started: one already running belongs to someone else.
  const ownKafka = !env.KAFKA_BROKERS && !kafkaRunning();
  if (ownKafka) execFileSync('bash', [KAFKA_SCRIPT, 'start'], { stdio: ['ignore', 'ignore', 'inherit'] });

  const client = await createClickHouseClient(enricherConfig.clickhouse);
  await migrate(client, enricherConfig.migrations);
  const enricher = await startEnricher(enricherConfig, client, log.child({ service: 'enricher' }));
  const tap = await startTap(tapConfig, log.child({ service: 'tap' }));
  const billing = await startBilling(billingConfig, client, log.child({ service: 'billing' }));
  // The console reads invoice previews from this billing, with its admin token, unless DASHBOARD_BILLING_URL says otherwise.
  const dashboard = await startDashboard({ billing: { url: billing.url, token: billingConfig.adminTokens[0] as string }, ...dashboardConfig }, client, log.child({ service: 'dashboard' }));

  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping…`);
    // One deadline for the whole stop, as runService gives each standalone service.
    const deadline = new AbortController();
    setTimeout(() => {
      deadline.abort();
      log.error(`shutdown deadline of ${shutdownTimeoutMs} ms passed: exiting with the work above unfinished`);
      process.exit(1);
    }, shutdownTimeoutMs);
    for (const service of [dashboard, tap, billing, enricher]) await service.close(deadline.signal).catch((error: unknown) => log.error({ err: error }, 'stop failed'));
    await client.close();
    if (ownKafka) execFileSync('bash', [KAFKA_SCRIPT, 'stop'], { stdio: ['ignore', 'ignore', 'inherit'] });
    console.log('stopped.');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));

  const db = enricherConfig.clickhouse.database;
  const [{ n: existing } = { n: 0 }] = await queryRows<{ n: number }>(client, `SELECT count() AS n FROM ${db}.api_requests`);
  if (!values['no-demo']) {
    if (Number(existing) === 0) {
      const fed = await feedDemo({
        tapUrl: tap.url,
        tapToken: tapConfig.tokens[0]?.token ?? '',
        billingUrl: billing.url,
        adminToken: billingConfig.adminTokens[0] as string,
        client,
        database: db,
        now,
        plans: billing.plans,
        afterRegistration: () => enricher.registry.refresh(),
      });
      console.log(`demo: ${fed.accepted} events sent through the tap (${fed.batches} batches in ${fed.formats.join(', ')}), ${fed.consumers} consumers registered`);
    } else {
      console.log(`demo: reusing the ${existing} events already stored (${describeClickHouse(enricherConfig.clickhouse)})`);
    }
    await billing.quota.refresh();
  }

  const period = periodOf(now).name;
  const run = await billing.run({ period, dryRun: true, trigger: 'cli' });
  await printSummary(client, db, run.totals, period);
  const token = encodeURIComponent(dashboardConfig.adminTokens[0] ?? '');
  const [consumerToken, consumerId] = [...dashboardConfig.consumerTokens][0] ?? [];
  console.log(`
Tollgate is running (ready in ${((Date.now() - started) / 1000).toFixed(1)} s). Ctrl-C stops everything${ownKafka ? ', the local Kafka broker included' : ''}.
  console     ${dashboard.url}/#token=${token}   (operator)${consumerToken ? `
              ${dashboard.url}/consumer#token=${encodeURIComponent(consumerToken)}   (consumer ${consumerId})` : ''}
  query API   ${dashboard.url}/v1/queries        Authorization: Bearer ${dashboardConfig.adminTokens[0]}
  tap ingest  ${tap.url}/v1/ingest/{kong,envoy,apisix,nginx,combined,ndjson,cloudevents}   Authorization: Bearer ${tapConfig.tokens[0]?.token}${tapConfig.tail.files.length > 0 ? `
  tap files   ${tapConfig.tail.files.map((f) => `${f.path} (${f.format})`).join(', ')}` : ''}
  billing     ${billing.url}/v1/admin/…   Authorization: Bearer ${billingConfig.adminTokens[0]}
              ${billing.url}/v1/quota/{consumer}   Authorization: Bearer ${billingConfig.gatewayTokens[0]}
              ${billing.url}/v1/authorize   x-tollgate-gateway-token: ${billingConfig.gatewayTokens[0]}
  enricher    ${enricher.url}/metrics
  ClickHouse  ${describeClickHouse(enricherConfig.clickhouse)}, database ${db}
  Kafka       ${tapConfig.kafka.brokers.join(',')}, topic ${tapConfig.topic}`);
}

type Totals = { customers: number; amount_minor: Record<string, number>; lost_revenue_minor: Record<string, number> };

/** One line per currency: the period's revenue so far (base fees and usage) and what failed calls lost, as the dry run priced them. */
function moneyLines(totals: Totals): string[] {
  const currencies = [...new Set([...Object.keys(totals.amount_minor), ...Object.keys(totals.lost_revenue_minor)])].sort();
  const amount = (m: Record<string, number>, currency: string) => formatMoney(BigInt(m[currency] ?? 0), currency);
  return currencies.map((c) => `    ${c.padEnd(16)}revenue ${amount(totals.amount_minor, c)}, lost to failed calls ${amount(totals.lost_revenue_minor, c)}`);
}

async function printSummary(client: Parameters<typeof queryRows>[0], db: string, totals: Totals, period: string): Promise<void> {
  const [{ events = 0, consumers = 0, errors = 0, refused = 0 } = {}] = await queryRows<{ events: number; consumers: number; errors: number; refused: number }>(
    client,
    `SELECT count() AS events, uniqExactIf(consumer_id, consumer_id != '') AS consumers, countIf(status >= 500) AS errors, countIf(${REFUSED_BY_POLICY_SQL}) AS refused FROM ${db}.api_requests`,
  );
  const apis = await queryRows<{ api: string; calls: number }>(client, `SELECT api, sum(calls) AS calls FROM ${db}.usage_day GROUP BY api ORDER BY calls DESC LIMIT 5`);
  const countries = await queryRows<{ country: string; calls: number }>(
    client,
    `SELECT if(country = '', '(unknown)', country) AS country, sum(calls) AS calls FROM ${db}.usage_day GROUP BY country ORDER BY calls DESC LIMIT 5`,
  );
  console.log(`
Summary
  events ingested   ${events} from ${consumers} consumers (${errors} server errors, ${refused} refused by policy)
  top APIs          ${apis.map((a) => `${a.api} ${a.calls}`).join(', ')}
  top countries     ${countries.map((c) => `${c.country} ${c.calls}`).join(', ')}
  this month        ${period} so far, ${totals.customers} customers (billing dry run: nothing sent to Stripe)
${moneyLines(totals).join('\n') || '    no revenue yet'}`);
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof EmbeddedClickHouseBusyError) console.error(error.message);
  else console.error(error);
  process.exit(1);
});
