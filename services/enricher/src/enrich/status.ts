// api_requests.status_class: dashboards group by it. Gateways log non-HTTP codes too (0 for a
// client that went away before a response, 499/5xx-style internals are still in range), so
// anything outside 100-599 is 'other' rather than a made-up class. The classes themselves are
// @tollgate/schemas' STATUS_CLASSES, the list billing and the dashboards read the column with.
import { OTHER_STATUS_CLASS, STATUS_CLASSES, type StatusClass } from '@tollgate/schemas';

export type StatusClassColumn = StatusClass | typeof OTHER_STATUS_CLASS;

export function statusClass(status: number): StatusClassColumn {
  if (!Number.isInteger(status) || status < 100 || status > 599) return OTHER_STATUS_CLASS;
  return STATUS_CLASSES[Math.floor(status / 100) - 1] ?? OTHER_STATUS_CLASS;
}
