import { execFile } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import Stripe from 'stripe';
import { describe, it, expect, beforeAll, afterAll, beforeEach } from 'vitest';
import { createStripeClient, stripeSettingsFromEnv } from '@tollgate/platform';
import { decodeStripeForm, startStripeProxy, type StripeProxy } from '../harness/stripe-proxy.ts';

const run = promisify(execFile);
const SCRIPT = fileURLToPath(new URL('../../deploy/local/stripe-mock.sh', import.meta.url));

let stripeMockUrl: string;
let startedStripeMock = false;
let proxy: StripeProxy;
let stripe: Stripe;

function client(maxNetworkRetries = 0): Stripe {
  return createStripeClient(stripeSettingsFromEnv({ STRIPE_API_BASE: proxy.url }), {
    maxNetworkRetries,
    timeoutMs: 10_000,
  });
}

beforeAll(async () => {
  if (process.env.STRIPE_MOCK_URL) {
    stripeMockUrl = process.env.STRIPE_MOCK_URL;
  } else {
    // Only stop stripe-mock afterwards if this file started it.
    const running = await run(SCRIPT, ['status']).then(
      () => true,
      () => false,
    );
    const { stdout } = await run(SCRIPT, ['start'], { timeout: 180_000 });
    startedStripeMock = !running;
    stripeMockUrl = stdout.trim().split('\n').pop() ?? '';
  }
  expect(stripeMockUrl).toMatch(/^http:\/\//);
  proxy = await startStripeProxy({ upstream: stripeMockUrl });
  stripe = client(0);
}, 240_000);

afterAll(async () => {
  await proxy?.close();
  if (startedStripeMock) await run(SCRIPT, ['stop']);
});

beforeEach(() => proxy.reset());

describe('decodeStripeForm', () => {
  it('decodes nested objects and arrays', () => {
    const params = decodeStripeForm(
      'customer=cus_1&metadata[run]=x&lines[0][price]=price_1&lines[0][quantity]=2&lines[1][price]=price_2&expand[]=a&expand[]=b',
    );
    expect(params).toEqual({
      customer: 'cus_1',
      metadata: { run: 'x' },
      lines: [
        { price: 'price_1', quantity: '2' },
        { price: 'price_2' },
      ],
      expand: ['a', 'b'],
    });
  });
});

describe('stripe proxy in front of stripe-mock', () => {
  it('records a customer create exactly', async () => {
    const key = `tg-test-${randomUUID()}`;
    const customer = await stripe.customers.create(
      { email: 'acme@example.com', metadata: { run: 'r1', tenant: 'acme' } },
      { idempotencyKey: key },
    );
    expect(customer.id).toMatch(/^cus_\w+$/);
    expect(customer.email).toBe('acme@example.com');
    expect(proxy.requests).toEqual([
      {
        method: 'POST',
        path: '/v1/customers',
        params: { email: 'acme@example.com', metadata: { run: 'r1', tenant: 'acme' } },
        idempotencyKey: key,
        status: 200,
        injected: false,
        responseId: customer.id,
      },
    ]);
  });

  it('gives every create a fresh id; the client keys every POST', async () => {
    const a = await stripe.customers.create({ email: 'a@example.com' });
    const b = await stripe.customers.create({ email: 'b@example.com' });
    expect(a.id).not.toBe(b.id);
    expect(proxy.requests.map((r) => r.responseId)).toEqual([a.id, b.id]);
    const [ka, kb] = proxy.requests.map((r) => r.idempotencyKey);
    expect(ka).toBeTruthy();
    expect(kb).toBeTruthy();
    expect(ka).not.toBe(kb);
  });

  it('replays the first response for a repeated idempotency key', async () => {
    const key = `tg-test-${randomUUID()}`;
    const params = { email: 'same@example.com', metadata: { run: 'r2' } };
    const first = await stripe.customers.create(params, { idempotencyKey: key });
    const again = await stripe.customers.create(params, { idempotencyKey: key });
    expect(again.id).toBe(first.id);
    expect(again.lastResponse.headers['idempotent-replayed']).toBe('true');
    expect(proxy.requests.map((r) => [r.status, r.replayed ?? false, r.responseId])).toEqual([
      [200, false, first.id],
      [200, true, first.id],
    ]);

    // Same key, different request: Stripe answers 400 idempotency_error.
    await expect(
      stripe.customers.create({ email: 'other@example.com' }, { idempotencyKey: key }),
    ).rejects.toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
    expect(proxy.requests[2]).toMatchObject({ status: 400, injected: false });
  });

  it('runs invoice item + invoice + finalize with consistent ids', async () => {
    const customer = await stripe.customers.create({ email: 'billing@example.com' });
    const invoice = await stripe.invoices.create({
      customer: customer.id,
      auto_advance: false,
      collection_method: 'send_invoice',
      days_until_due: 30,
      pending_invoice_items_behavior: 'exclude',
      metadata: { tollgate_period: '2024-01' },
    });
    expect(invoice.id).toMatch(/^in_\w+$/);
    const item = await stripe.invoiceItems.create({
      customer: customer.id,
      invoice: invoice.id,
      currency: 'usd',
      amount: 12_345,
      description: 'API calls 2024-01',
      metadata: { tollgate_period: '2024-01' },
    });
    expect(item.id).toMatch(/^ii_\w+$/);
    expect(item.invoice).toBe(invoice.id);
    expect(item.customer).toBe(customer.id);
    const finalized = await stripe.invoices.finalizeInvoice(invoice.id, { auto_advance: false });
    expect(finalized.id).toBe(invoice.id);
    const fetched = await stripe.invoices.retrieve(invoice.id);
    expect(fetched.id).toBe(invoice.id);

    expect(proxy.requests.map((r) => [r.method, r.path, r.status, r.responseId])).toEqual([
      ['POST', '/v1/customers', 200, customer.id],
      ['POST', '/v1/invoices', 200, invoice.id],
      ['POST', '/v1/invoiceitems', 200, item.id],
      ['POST', `/v1/invoices/${invoice.id}/finalize`, 200, invoice.id],
      ['GET', `/v1/invoices/${invoice.id}`, 200, invoice.id],
    ]);
    expect(proxy.requests[2]!.params).toEqual({
      customer: customer.id,
      invoice: invoice.id,
      currency: 'usd',
      amount: '12345',
      description: 'API calls 2024-01',
      metadata: { tollgate_period: '2024-01' },
    });
    expect(new Set(proxy.requests.map((r) => r.idempotencyKey)).size).toBe(5); // GET has none
    expect(proxy.requests[4]!.idempotencyKey).toBeUndefined();
  });

  it('records stripe-mock validation errors (400)', async () => {
    await expect(
      stripe.invoices.create({
        customer: 'cus_x',
        // Not in the spec's enum any more; stripe-mock rejects it.
        pending_invoice_items_behavior: 'include_and_require' as 'include',
      }),
    ).rejects.toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(proxy.requests).toHaveLength(1);
    expect(proxy.requests[0]).toMatchObject({ path: '/v1/invoices', status: 400, injected: false });
  });

  it('injects 429s that the client surfaces as StripeRateLimitError', async () => {
    proxy.failures({ rate: 1, statuses: [429] });
    await expect(stripe.customers.create({ email: 'x@example.com' })).rejects.toBeInstanceOf(
      Stripe.errors.StripeRateLimitError,
    );
    expect(proxy.requests).toHaveLength(1);
    expect(proxy.requests[0]).toMatchObject({
      method: 'POST',
      path: '/v1/customers',
      status: 429,
      injected: true,
    });

    proxy.failures({ rate: 0 });
    const ok = await stripe.customers.create({ email: 'x@example.com' });
    expect(ok.id).toMatch(/^cus_/);
    expect(proxy.requests[1]).toMatchObject({ status: 200, injected: false });
  });

  it('injected 500s are retried by the client with the same idempotency key', async () => {
    const retrying = client(5);
    proxy.failures({ rate: 0.5, statuses: [500], seed: 7, paths: /^\/v1\/customers$/ });
    const customer = await retrying.customers.create({ email: 'retry@example.com' });
    expect(proxy.requests.length).toBeGreaterThan(1); // seed 7 fails the first attempt
    const keys = new Set(proxy.requests.map((r) => r.idempotencyKey));
    expect(keys.size).toBe(1);
    const last = proxy.requests[proxy.requests.length - 1]!;
    expect(last).toMatchObject({ status: 200, injected: false, responseId: customer.id });
    expect(proxy.requests.slice(0, -1).every((r) => r.injected && r.status === 500)).toBe(true);
  }, 30_000);

  it('failure injection is deterministic by seed and filtered by path', async () => {
    const pattern = async (): Promise<boolean[]> => {
      proxy.reset();
      proxy.failures({ rate: 0.5, statuses: [429, 500], seed: 42, paths: /^\/v1\/customers$/ });
      for (let i = 0; i < 12; i++) {
        await stripe.customers.create({ email: `${i}@example.com` }).catch(() => undefined);
        await stripe.invoices.list({ limit: 1 }); // never matches the path filter
      }
      return proxy.requests.filter((r) => r.path === '/v1/customers').map((r) => r.injected);
    };
    const a = await pattern();
    const b = await pattern();
    expect(a).toEqual(b);
    expect(a.some(Boolean)).toBe(true);
    expect(a.some((x) => !x)).toBe(true);
    expect(proxy.requests.filter((r) => r.path === '/v1/invoices').every((r) => !r.injected)).toBe(
      true,
    );
  });
});

describe('stripe proxy against an upstream with fixed fixture ids', () => {
  it('rewrites duplicate create ids (deeply) and keeps path ids', async () => {
    // Older stripe-mock versions answer every create with the fixture id.
    const upstream = http.createServer((req, res) => {
      const id = req.url?.startsWith('/v1/invoices/') ? req.url.split('/')[3] : 'in_fixture';
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id, object: 'invoice', lines: { data: [{ invoice: id }] } }));
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    const { port } = upstream.address() as AddressInfo;
    const p = await startStripeProxy({ upstream: `http://127.0.0.1:${port}` });
    try {
      const s = createStripeClient({ secretKey: 'sk_test_123', apiBase: new URL(p.url) }, {
        maxNetworkRetries: 0,
      });
      const a = await s.invoices.create({ customer: 'cus_1' });
      const b = await s.invoices.create({ customer: 'cus_1' });
      expect(a.id).toBe('in_fixture'); // first one is unique as is
      expect(b.id).toMatch(/^in_tg\w+$/);
      expect(b.lines.data[0]!.invoice).toBe(b.id);
      const fin = await s.invoices.finalizeInvoice(b.id);
      expect(fin.id).toBe(b.id);
      expect(p.requests.map((r) => r.responseId)).toEqual([a.id, b.id, b.id]);
    } finally {
      await p.close();
      await new Promise((r) => upstream.close(r));
    }
  });
});

describe('stripeSettingsFromEnv', () => {
  it('defaults the key for a mock base and validates variables', () => {
    expect(stripeSettingsFromEnv({ STRIPE_API_BASE: 'http://127.0.0.1:8420' })).toEqual({
      secretKey: 'sk_test_123',
      apiBase: new URL('http://127.0.0.1:8420'),
    });
    expect(stripeSettingsFromEnv({ STRIPE_SECRET_KEY: 'sk_test_abc' })).toEqual({
      secretKey: 'sk_test_abc',
    });
    expect(() => stripeSettingsFromEnv({})).toThrow(/STRIPE_SECRET_KEY/);
    expect(() => stripeSettingsFromEnv({ STRIPE_API_BASE: 'localhost:8420' })).toThrow(
      /STRIPE_API_BASE/,
    );
    expect(() => stripeSettingsFromEnv({ STRIPE_API_BASE: 'http://127.0.0.1:8420/v1' })).toThrow(
      /STRIPE_API_BASE/,
    );
    expect(() => stripeSettingsFromEnv({ STRIPE_SECRET_KEY: 'pk_test_abc' })).toThrow(
      /STRIPE_SECRET_KEY/,
    );
  });
});
