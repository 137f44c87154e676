// A path template groups requests to the same endpoint: '/orders/123' and '/orders/456' are both
// '/orders/{id}'. path_template is a LowCardinality column, so a segment left raw when it is
// really an identifier multiplies cardinality; a word wrongly replaced merges two endpoints.
// The rules therefore only replace segments that cannot plausibly be a fixed route word.

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DATE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
const NUMBER = /^\d+$/;
const EMAIL = /^[^\s@/]+@[^\s@/]+\.[a-z]{2,}$/i;
const LONG_HEX = /^[0-9a-f]{16,}$/i;
// 8-15 hex chars are hex ids (short hashes, ids) only with both a digit and a letter:
// 'deadbeef' or '20261126' alone are a word and a number.
const SHORT_HEX = /^(?=[^\d]*\d)(?=.*[a-f])[0-9a-f]{8,15}$/i;
const TOKEN_CHARS = /^[A-Za-z0-9\-_.~+/=]{20,}$/;
// Long slugs made of lower-case words ('list-invoices-by-customer-v2') are route names, not tokens.
const SLUG = /^[a-z]+(?:[-_.][a-z0-9]+)*$/;
// Stripe-style prefixed ids: 'cus_NffrFeUfNV2Hib', 'ord_01HZX3...'.
const PREFIXED_ID = /^[A-Za-z]{2,12}_(?=[A-Za-z]*\d)[A-Za-z0-9]{8,}$/;
// 'report.json', 'projects/123:cancel' (Google-style custom method): the id is the part before.
const SUFFIX = /^(.+?)([.:][A-Za-z][A-Za-z0-9]{0,15})$/;

/** The placeholder for one raw path segment, or undefined to keep the segment. */
function classifySegment(segment: string): string | undefined {
  const value = decodeSegment(segment);
  if (UUID.test(value)) return '{uuid}';
  if (DATE.test(value)) return '{date}';
  if (NUMBER.test(value)) return '{id}';
  if (EMAIL.test(value)) return '{email}';
  if (LONG_HEX.test(value) || SHORT_HEX.test(value)) return '{hex}';
  if (PREFIXED_ID.test(value)) return '{token}';
  if (TOKEN_CHARS.test(value) && /\d/.test(value) && /[A-Za-z]/.test(value) && !SLUG.test(value)) return '{token}';
  return undefined;
}

function decodeSegment(segment: string): string {
  if (!segment.includes('%')) return segment;
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

const ABSOLUTE_URL = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i;
const NOT_NORMAL = /[?#]|\/\/|.\/$/;

/**
 * The path part only, with query and fragment removed, empty segments (double slashes) dropped
 * and no trailing slash except for the root. Shared with the catalog so patterns see the same path.
 */
export function normalizePath(path: string): string {
  // Most paths already are: absolute, no query, fragment, double or trailing slash.
  if (path.charCodeAt(0) === 0x2f && !NOT_NORMAL.test(path)) return path;
  let p = path.replace(ABSOLUTE_URL, '');
  const cut = p.search(/[?#]/);
  if (cut >= 0) p = p.slice(0, cut);
  const segments = p.split('/').filter((s) => s !== '');
  return `/${segments.join('/')}`;
}

export function derivePathTemplate(path: string): string {
  const segments = normalizePath(path).split('/').slice(1);
  if (segments.length === 1 && segments[0] === '') return '/';
  return `/${segments.map(templateSegment).join('/')}`;
}

/**
 * Segments kept as they are (route words: 'v1', 'orders') repeat across nearly every request and
 * would each run every rule again; identifiers do not repeat and are cheap to recognise.
 */
const KEPT = new Set<string>();

function templateSegment(segment: string): string {
  if (KEPT.has(segment)) return segment;
  const template = classifyOrKeep(segment);
  if (template === segment) {
    // Bounded: start over rather than keep an eviction order on the hot path.
    if (KEPT.size >= 10_000) KEPT.clear();
    KEPT.add(segment);
  }
  return template;
}

function classifyOrKeep(segment: string): string {
  const whole = classifySegment(segment);
  if (whole) return whole;
  const suffixed = SUFFIX.exec(segment);
  if (suffixed) {
    const stem = classifySegment(suffixed[1] ?? '');
    if (stem) return `${stem}${suffixed[2] ?? ''}`;
  }
  return segment;
}
