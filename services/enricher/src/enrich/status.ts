// api_requests.status_class: dashboards group by it. Gateways log non-HTTP codes too (0 for a
// client that went away before a response, 499/5xx-style internals are still in range), so
// anything outside 100-599 is 'other' rather than a made-up class.
export type StatusClass = '1xx' | '2xx' | '3xx' | '4xx' | '5xx' | 'other';

const CLASSES: readonly StatusClass[] = ['1xx', '2xx', '3xx', '4xx', '5xx'];

export function statusClass(status: number): StatusClass {
  if (!Number.isInteger(status) || status < 100 || status > 599) return 'other';
  return CLASSES[Math.floor(status / 100) - 1] ?? 'other';
}
