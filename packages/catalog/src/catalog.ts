// The API catalog maps raw gateway traffic onto the products we bill for. Rules are checked in
// order and the first match wins, so specific rules go before broad ones. Everything is validated
// and compiled up front: a typo in the catalog must fail the deploy, not mis-bill requests.
// A catalog file (API_CATALOG_FILE; services/stack/demo-catalog.json is one) is a JSON object
// { "rules": [CatalogRule, ...] }.
import { readFile } from 'node:fs/promises';
import type { ApiRequestEvent } from '@tollgate/schemas';
import { derivePathTemplate, normalizePath } from './path-template.ts';

export interface CatalogRuleMatch {
  /** Exact host, or '*.example.com' for any subdomain at any depth (not the apex itself). */
  host?: string;
  /** Gateway service / API name (event.api), exact. */
  api?: string;
  /** Gateway route name (event.route), exact. */
  route?: string;
  /** One method or a list, case-insensitive. */
  method?: string | string[];
  /** '/v1/orders/{id}': '{name}' and '*' match within one segment, a '**' segment matches any number of segments. */
  path?: string;
}

export interface CatalogRule {
  match: CatalogRuleMatch;
  product: string;
  version?: string;
  pathTemplate?: string;
  /** Default true. */
  billable?: boolean;
}

export interface CatalogMatch {
  api: string;
  apiVersion: string;
  pathTemplate: string;
  billable: boolean;
  matched: boolean;
}

export type CatalogEvent = Pick<ApiRequestEvent, 'host' | 'api' | 'route' | 'method' | 'path' | 'path_template'>;
export type CatalogMatcher = (event: CatalogEvent) => CatalogMatch;

interface CompiledRule {
  host?: { exact: string } | { suffix: string };
  api?: string;
  route?: string;
  methods?: ReadonlySet<string>;
  path?: RegExp;
  /** Undefined: fall back to the event's own or a derived template. */
  pathTemplate?: string;
  product: string;
  apiVersion: string;
  billable: boolean;
}

const RULE_KEYS = new Set(['match', 'product', 'version', 'pathTemplate', 'billable']);
const MATCH_KEYS = new Set(['host', 'api', 'route', 'method', 'path']);
const PARAM = /^[A-Za-z_][A-Za-z0-9_]*$/;
const METHOD = /^[A-Za-z]+$/;
const HOST = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;

/** Validates every rule (one error listing all problems) and compiles them into a matcher. */
export function compileCatalog(rules: unknown): CatalogMatcher {
  if (!Array.isArray(rules)) throw new Error('catalog: rules must be an array');
  const problems: string[] = [];
  const compiled: CompiledRule[] = [];
  rules.forEach((rule: unknown, index) => {
    const ruleProblems: string[] = [];
    const result = compileRule(rule, (field, message) => ruleProblems.push(`rule ${index}: ${field} ${message}`));
    if (ruleProblems.length > 0 || !result) problems.push(...ruleProblems);
    else compiled.push(result);
  });
  if (problems.length > 0) throw new Error(`catalog: invalid rules:\n  ${problems.join('\n  ')}`);
  return (event) => matchEvent(compiled, event);
}

type Report = (field: string, message: string) => void;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function compileRule(rule: unknown, report: Report): CompiledRule | undefined {
  if (!isRecord(rule)) {
    report('rule', 'must be an object');
    return undefined;
  }
  for (const key of Object.keys(rule)) {
    if (!RULE_KEYS.has(key)) report(key, `is not a rule field (allowed: ${[...RULE_KEYS].join(', ')})`);
  }
  const out: CompiledRule = { product: '', apiVersion: '', billable: true };

  if (typeof rule.product !== 'string' || rule.product.trim() === '') report('product', 'must be a non-empty string');
  else out.product = rule.product;
  if (rule.version !== undefined) {
    if (typeof rule.version !== 'string') report('version', 'must be a string');
    else out.apiVersion = rule.version;
  }
  if (rule.billable !== undefined) {
    if (typeof rule.billable !== 'boolean') report('billable', 'must be true or false');
    else out.billable = rule.billable;
  }
  if (rule.pathTemplate !== undefined) {
    if (typeof rule.pathTemplate !== 'string' || !rule.pathTemplate.startsWith('/')) report('pathTemplate', "must be a string starting with '/'");
    else out.pathTemplate = rule.pathTemplate;
  }

  const match = rule.match;
  if (!isRecord(match)) {
    report('match', 'must be an object (use {} to match every request)');
    return out;
  }
  for (const key of Object.keys(match)) {
    if (!MATCH_KEYS.has(key)) report(`match.${key}`, `is not a match field (allowed: ${[...MATCH_KEYS].join(', ')})`);
  }
  if (match.host !== undefined) out.host = compileHost(match.host, report);
  for (const field of ['api', 'route'] as const) {
    const value = match[field];
    if (value === undefined) continue;
    if (typeof value !== 'string' || value === '') report(`match.${field}`, 'must be a non-empty string');
    else out[field] = value;
  }
  if (match.method !== undefined) out.methods = compileMethods(match.method, report);
  if (match.path !== undefined) {
    const path = compilePathPattern(match.path, report);
    if (path) {
      out.path = path.regex;
      out.pathTemplate ??= path.template;
    }
  }
  return out;
}

function compileHost(value: unknown, report: Report): CompiledRule['host'] {
  const text = typeof value === 'string' ? value.trim().toLowerCase() : undefined;
  const wildcard = text?.startsWith('*.') === true;
  const name = wildcard ? text?.slice(2) : text;
  if (name === undefined || !HOST.test(name)) {
    report('match.host', "must be a host name like 'api.example.com' or '*.example.com' ('*' only as the first label)");
    return undefined;
  }
  return wildcard ? { suffix: `.${name}` } : { exact: name };
}

function compileMethods(value: unknown, report: Report): ReadonlySet<string> | undefined {
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || list.length === 0 || !list.every((m) => typeof m === 'string' && METHOD.test(m))) {
    report('match.method', "must be a method like 'GET' or a non-empty list of methods");
    return undefined;
  }
  return new Set(list.map((m: string) => m.toUpperCase()));
}

/**
 * '/v1/orders/{id}' → /^\/v1\/orders\/[^/]+$/, tested against the normalized path with the
 * root '/' as '' (so '/**' also matches the root). The template is the pattern in normalized form,
 * so '/v1/files/**' groups every file under one template, which is what such a rule asks for.
 */
function compilePathPattern(value: unknown, report: Report): { regex: RegExp; template: string } | undefined {
  if (typeof value !== 'string' || !value.startsWith('/')) {
    report('match.path', "must be a string starting with '/'");
    return undefined;
  }
  const template = normalizePath(value);
  const segments = template === '/' ? [] : template.slice(1).split('/');
  let source = '^';
  for (const segment of segments) {
    if (segment === '**') {
      // Zero or more whole segments: '/a/**' matches '/a' and '/a/b/c'.
      source += '(?:/[^/]+)*';
      continue;
    }
    const part = compileSegment(segment);
    if (typeof part !== 'string') {
      report('match.path', `${part.error} in segment '${segment}' of '${value}'`);
      return undefined;
    }
    source += `/${part}`;
  }
  source += '$';
  return { regex: new RegExp(source), template };
}

function compileSegment(segment: string): string | { error: string } {
  let out = '';
  for (let i = 0; i < segment.length; ) {
    const ch = segment[i] ?? '';
    if (ch === '{') {
      const close = segment.indexOf('}', i);
      const name = close < 0 ? '' : segment.slice(i + 1, close);
      if (close < 0 || !PARAM.test(name)) return { error: "'{' must open a parameter like {id}" };
      out += '[^/]+';
      i = close + 1;
    } else if (ch === '}') {
      return { error: "unmatched '}'" };
    } else if (ch === '*') {
      if (segment[i + 1] === '*') return { error: "'**' must be a whole segment" };
      out += '[^/]*';
      i++;
    } else {
      out += ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      i++;
    }
  }
  // A lone '*' must still consume a segment, or '/a/*' would match '/a/'.
  return out === '[^/]*' ? '[^/]+' : out;
}

function rootAsEmpty(path: string): string {
  return path === '/' ? '' : path;
}

/** Lower-case host without port or trailing dot; '[::1]:8443' → '::1'. */
function normalizeHost(host: string | undefined): string {
  if (!host) return '';
  let h = host.trim().toLowerCase();
  if (h.startsWith('[')) {
    const close = h.indexOf(']');
    return h.slice(1, close < 0 ? undefined : close);
  }
  const colon = h.indexOf(':');
  // More than one colon: a bare IPv6 address, which has no port to strip.
  if (colon >= 0 && colon === h.lastIndexOf(':')) h = h.slice(0, colon);
  return h.endsWith('.') ? h.slice(0, -1) : h;
}

function matchEvent(rules: readonly CompiledRule[], event: CatalogEvent): CatalogMatch {
  const host = normalizeHost(event.host);
  const method = (event.method ?? '').toUpperCase();
  let path: string | undefined;
  for (const rule of rules) {
    if (rule.api !== undefined && rule.api !== event.api) continue;
    if (rule.route !== undefined && rule.route !== event.route) continue;
    if (rule.methods && !rule.methods.has(method)) continue;
    if (rule.host) {
      if ('exact' in rule.host ? host !== rule.host.exact : !host.endsWith(rule.host.suffix)) continue;
    }
    if (rule.path) {
      path ??= rootAsEmpty(normalizePath(event.path ?? ''));
      if (!rule.path.test(path)) continue;
    }
    return {
      api: rule.product,
      apiVersion: rule.apiVersion,
      pathTemplate: rule.pathTemplate ?? fallbackTemplate(event),
      billable: rule.billable,
      matched: true,
    };
  }
  return {
    api: event.api || host || 'unknown',
    apiVersion: '',
    pathTemplate: fallbackTemplate(event),
    billable: true,
    matched: false,
  };
}

// The gateway's own route template ('/orders/{order_id}' from Kong/Envoy config) knows the real
// parameters, so it beats guessing from the concrete path.
function fallbackTemplate(event: CatalogEvent): string {
  return event.path_template || derivePathTemplate(event.path ?? '');
}

/** Reads a catalog JSON file of the form { "rules": [...] } and compiles it. */
export async function loadCatalogFile(path: string): Promise<CatalogMatcher> {
  const text = await readFile(path, 'utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new Error(`catalog ${path}: not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  if (!isRecord(parsed) || !Array.isArray(parsed.rules)) {
    throw new Error(`catalog ${path}: expected an object with a "rules" array`);
  }
  try {
    return compileCatalog(parsed.rules);
  } catch (err) {
    throw new Error(`catalog ${path}: ${(err as Error).message.replace(/^catalog: /, '')}`, { cause: err });
  }
}
