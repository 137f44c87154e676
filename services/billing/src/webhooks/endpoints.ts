// Webhook endpoints as admins manage them: created with a fresh signing secret (shown once, in the
// creation answer), listed without it, deleted (pending deliveries to a deleted endpoint are
// cancelled at their next attempt). Only http and https URLs are accepted.
import { randomBytes } from 'node:crypto';
import type { WebhookEventType } from './events.ts';
import type { EndpointRecord, OutboxStore } from './store.ts';

export interface NewEndpoint {
  url: string;
  events?: WebhookEventType[];
  description?: string;
}

/** An endpoint as listed: everything but the secret. */
export interface EndpointView {
  id: string;
  url: string;
  events: string[];
  description: string;
  created_at: string;
}

/** Why `url` cannot be an endpoint, or undefined when it can. */
export function endpointUrlProblem(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `url: ${JSON.stringify(url)} is not an absolute URL`;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return `url: must be http or https (got ${parsed.protocol.slice(0, -1)})`;
  if (parsed.username || parsed.password) return 'url: must not carry credentials (deliveries are signed instead)';
  return undefined;
}

const view = (e: EndpointRecord): EndpointView => ({ id: e.endpoint_id, url: e.url, events: e.events, description: e.description, created_at: e.created_at.toISOString() });

export class WebhookEndpoints {
  constructor(
    private readonly store: OutboxStore,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** The caller has checked the URL (endpointUrlProblem). */
  async create(input: NewEndpoint): Promise<EndpointView & { secret: string }> {
    const record: EndpointRecord = {
      endpoint_id: `we_${randomBytes(12).toString('hex')}`,
      url: input.url,
      events: [...new Set(input.events ?? [])],
      description: input.description ?? '',
      secret: `whsec_${randomBytes(32).toString('base64url')}`,
      created_at: this.now(),
    };
    await this.store.writeEndpoint(record);
    return { ...view(record), secret: record.secret };
  }

  async list(): Promise<EndpointView[]> {
    return (await this.store.endpoints()).map(view);
  }

  /** False when there is no such endpoint (or it was deleted already). */
  async delete(id: string): Promise<boolean> {
    const found = (await this.store.endpoints()).find((e) => e.endpoint_id === id);
    if (!found) return false;
    await this.store.writeEndpoint(found, true);
    return true;
  }
}
