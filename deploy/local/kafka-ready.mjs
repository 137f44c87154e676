#!/usr/bin/env node
// Readiness probe for deploy/local/kafka.sh (and usable from tests):
//   node deploy/local/kafka-ready.mjs <brokers,comma,separated> [timeoutMs=30000] [brokersExpected=1]
// Succeeds (exit 0) once a real metadata round-trip works: describeCluster returns
// at least brokersExpected (unfenced) brokers and listTopics answers. Retries until timeoutMs.
// Exit codes: 0 ready, 1 not ready before timeout, 3 kafkajs not installed.
const [brokersArg, timeoutArg, expectedArg] = process.argv.slice(2);
if (!brokersArg) {
  console.error('usage: kafka-ready.mjs <brokers> [timeoutMs]');
  process.exit(2);
}
const brokers = brokersArg.split(',').map((s) => s.trim()).filter(Boolean);
const timeoutMs = Number(timeoutArg ?? 30000);
const expected = Number(expectedArg ?? 1);

let kafkajs;
try {
  kafkajs = await import('kafkajs');
} catch (err) {
  console.error(`kafka-ready: cannot load kafkajs (${err.code ?? err.message}); run npm ci`);
  process.exit(3);
}
const { Kafka, logLevel } = kafkajs.default ?? kafkajs;

const deadline = Date.now() + timeoutMs;
let lastErr = 'no attempt';
while (Date.now() < deadline) {
  const kafka = new Kafka({
    clientId: 'tollgate-kafka-ready',
    brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1000,
    requestTimeout: 3000,
    retry: { retries: 0 },
  });
  const admin = kafka.admin({ retry: { retries: 0 } });
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    if (cluster.brokers.length < expected) throw new Error(`metadata has ${cluster.brokers.length} of ${expected} brokers`);
    await admin.listTopics();
    await admin.disconnect();
    console.log(`kafka-ready: ${brokers.join(',')} ok (brokers=${cluster.brokers.map((b) => b.nodeId).join(',')}, cluster=${cluster.clusterId})`);
    process.exit(0);
  } catch (err) {
    lastErr = err?.message ?? String(err);
    await admin.disconnect().catch(() => {});
  }
  await new Promise((r) => setTimeout(r, 250));
}
console.error(`kafka-ready: ${brokers.join(',')} not ready after ${timeoutMs} ms: ${lastErr}`);
process.exit(1);
