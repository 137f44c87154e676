import { describe, expect, it } from 'vitest';
import { parseConsumerImport, parseCsv } from '../src/consumer-import.ts';
import { emptyConsumer, type ConsumerRecord } from '../src/consumer-table.ts';

const record = (over: Partial<ConsumerRecord>): ConsumerRecord => ({
  ...emptyConsumer(),
  ...over,
});

describe('parseCsv', () => {
  it('splits fields and records, LF and CRLF', () => {
    expect(parseCsv('a,b,c\n1,2,3\r\n4,5,6').records).toEqual([
      { line: 1, fields: ['a', 'b', 'c'] },
      { line: 2, fields: ['1', '2', '3'] },
      { line: 3, fields: ['4', '5', '6'] },
    ]);
  });

  it('handles quoted fields with commas, escaped quotes and line breaks, and tracks start lines', () => {
    const text = 'a,b\n"x, y","say ""hi"""\n"multi\nline\r\ntext",z\nlast,""\n';
    const { records, errors } = parseCsv(text);
    expect(errors).toEqual([]);
    expect(records).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['x, y', 'say "hi"'] },
      { line: 3, fields: ['multi\nline\r\ntext', 'z'] },
      { line: 6, fields: ['last', ''] },
    ]);
  });

  it('keeps empty fields, including a trailing one', () => {
    expect(parseCsv('a,,c,\n').records).toEqual([{ line: 1, fields: ['a', '', 'c', ''] }]);
  });

  it('skips blank lines but counts them', () => {
    expect(parseCsv('a\n\n\nb\n').records).toEqual([
      { line: 1, fields: ['a'] },
      { line: 4, fields: ['b'] },
    ]);
  });

  it('treats a lone CR as a line break', () => {
    expect(parseCsv('a\rb').records).toEqual([
      { line: 1, fields: ['a'] },
      { line: 2, fields: ['b'] },
    ]);
  });

  it('keeps a stray quote inside an unquoted field', () => {
    expect(parseCsv('5" screen,x').records).toEqual([{ line: 1, fields: ['5" screen', 'x'] }]);
  });

  it('reports text after a closing quote and drops that record only', () => {
    const { records, errors } = parseCsv('a,b\n"x"y,z\nc,d');
    expect(errors).toEqual([{ line: 2, reason: 'unexpected text after a closing quote' }]);
    expect(records.map((r) => r.line)).toEqual([1, 3]);
  });

  it('reports an unterminated quote at the line it starts on', () => {
    const { records, errors } = parseCsv('a,b\nc,"open\nmore\n');
    expect(errors).toEqual([{ line: 2, reason: 'unterminated quoted field' }]);
    expect(records).toEqual([{ line: 1, fields: ['a', 'b'] }]);
  });

  it('parses empty input as no records', () => {
    expect(parseCsv('')).toEqual({ records: [], errors: [] });
  });
});

describe('parseConsumerImport CSV', () => {
  it('imports every column, with ;-separated or JSON tags and JSON metadata', () => {
    const csv = [
      'consumer_id,org_id,name,email,plan_id,stripe_customer_id,tags,metadata',
      'c-1,org-1,"Doe, Jane",jane@example.com,pro,cus_123,"gold; beta ;gold",',
      'c-2,org-1,"Acme ""Labs""",ops@acme.io,free,,"[""a"",""b""]","{""region"":""eu"",""seats"":5,""trial"":true}"',
    ].join('\r\n');
    expect(parseConsumerImport(csv)).toEqual({
      consumers: [
        record({ consumer_id: 'c-1', org_id: 'org-1', name: 'Doe, Jane', email: 'jane@example.com', plan_id: 'pro', stripe_customer_id: 'cus_123', tags: ['gold', 'beta'] }),
        record({ consumer_id: 'c-2', org_id: 'org-1', name: 'Acme "Labs"', email: 'ops@acme.io', plan_id: 'free', tags: ['a', 'b'], metadata: { region: 'eu', seats: '5', trial: 'true' } }),
      ],
      apiKeys: [],
      errors: [],
    });
  });

  it('accepts a subset of columns in any order, a BOM, header case and surrounding spaces', () => {
    const csv = '\uFEFF Plan_ID , Consumer_ID\npro, c-1 \n';
    expect(parseConsumerImport(csv)).toEqual({ consumers: [record({ consumer_id: 'c-1', plan_id: 'pro' })], apiKeys: [], errors: [] });
  });

  it('keeps a newline inside a quoted name and reports later rows by their real line', () => {
    const csv = 'consumer_id,name\nc-1,"two\nlines"\n,nobody\n';
    const result = parseConsumerImport(csv);
    expect(result.consumers).toEqual([record({ consumer_id: 'c-1', name: 'two\nlines' })]);
    expect(result.errors).toEqual([{ line: 4, reason: 'missing consumer_id' }]);
  });

  it('reports row problems per line and keeps the good rows', () => {
    const csv = [
      'consumer_id,email,tags,metadata',
      'c-1,not-an-email,,',
      'c-2,ok@example.com,,',
      'c-2,other@example.com,,',
      'c-3,,"[1,2]",',
      'c-4,,,"{""a"":{""b"":1}}"',
      'c-5,,,not json',
      'c-6,,"[broken",',
      'c-7,,',
      'c-8,,,"[1]"',
      '"c-9",,,',
    ].join('\n');
    const result = parseConsumerImport(csv);
    expect(result.consumers.map((c) => c.consumer_id)).toEqual(['c-2', 'c-9']);
    expect(result.errors).toEqual([
      { line: 2, reason: 'bad email "not-an-email"' },
      { line: 4, reason: 'duplicate consumer_id "c-2" (first on line 3)' },
      { line: 5, reason: 'tags must be an array of strings' },
      { line: 6, reason: 'metadata.a must be a string, number or boolean' },
      { line: 7, reason: 'metadata is not valid JSON' },
      { line: 8, reason: 'tags is not a valid JSON array' },
      { line: 9, reason: 'expected 4 fields, got 3' },
      { line: 10, reason: 'metadata must be a JSON object' },
    ]);
  });

  it('combines several problems of one row', () => {
    const result = parseConsumerImport('consumer_id,email\n ,x@\n');
    expect(result.errors).toEqual([{ line: 2, reason: 'missing consumer_id; bad email "x@"' }]);
  });

  it('rejects the whole file on an unknown column, listing the allowed ones', () => {
    const result = parseConsumerImport('consumer_id,plan\nc-1,pro\n');
    expect(result.consumers).toEqual([]);
    expect(result.errors).toEqual([
      {
        line: 1,
        reason: 'unknown column "plan" (allowed: consumer_id, org_id, name, email, plan_id, stripe_customer_id, tags, metadata, status, blocked_apis, api_keys)',
      },
    ]);
  });

  it('rejects a header without consumer_id or with duplicate columns', () => {
    expect(parseConsumerImport('name\nJane\n').errors).toEqual([{ line: 1, reason: 'missing required column consumer_id' }]);
    expect(parseConsumerImport('consumer_id,name,name\nc,a,b\n').errors).toEqual([{ line: 1, reason: 'duplicate column name' }]);
  });

  it('reports CSV syntax errors with their line among row errors', () => {
    const result = parseConsumerImport('consumer_id,name\n"c-1"x,a\nc-2,b\n,c\n');
    expect(result.consumers.map((c) => c.consumer_id)).toEqual(['c-2']);
    expect(result.errors).toEqual([
      { line: 2, reason: 'unexpected text after a closing quote' },
      { line: 4, reason: 'missing consumer_id' },
    ]);
  });

  it('an empty file is an error', () => {
    expect(parseConsumerImport('')).toEqual({ consumers: [], apiKeys: [], errors: [{ line: 1, reason: 'empty file: expected a header row' }] });
  });

  it('a header alone imports nothing without errors', () => {
    expect(parseConsumerImport('consumer_id,name\n')).toEqual({ consumers: [], apiKeys: [], errors: [] });
  });
});

describe('parseConsumerImport JSON', () => {
  it('imports objects, detected by the leading [', () => {
    const json = JSON.stringify([
      { consumer_id: 'c-1', org_id: 'o', name: 'Jane', email: 'jane@example.com', plan_id: 'pro', stripe_customer_id: 'cus_1', tags: ['a', ' b ', 'a'], metadata: { k: 'v', n: 1 } },
      { consumer_id: 'c-2', tags: 'x;y', metadata: '{"k":"v"}', email: null },
    ]);
    expect(parseConsumerImport(`  ${json}`)).toEqual({
      consumers: [
        record({ consumer_id: 'c-1', org_id: 'o', name: 'Jane', email: 'jane@example.com', plan_id: 'pro', stripe_customer_id: 'cus_1', tags: ['a', 'b'], metadata: { k: 'v', n: '1' } }),
        record({ consumer_id: 'c-2', tags: ['x', 'y'], metadata: { k: 'v' } }),
      ],
      apiKeys: [],
      errors: [],
    });
  });

  it('reports problems by array index', () => {
    const json = JSON.stringify([
      { consumer_id: 'c-1' },
      { name: 'no id' },
      { consumer_id: 42 },
      { consumer_id: 'c-1' },
      { consumer_id: 'c-3', plan: 'pro', colour: 'red' },
      'not an object',
      { consumer_id: 'c-4', email: 'bad@', tags: [1] },
      { consumer_id: 'bad\u0000id' },
      { consumer_id: 'x'.repeat(300) },
    ]);
    const result = parseConsumerImport(json);
    expect(result.consumers.map((c) => c.consumer_id)).toEqual(['c-1']);
    expect(result.errors).toEqual([
      { index: 1, reason: 'missing consumer_id' },
      { index: 2, reason: 'consumer_id must be a string' },
      { index: 3, reason: 'duplicate consumer_id "c-1" (first on index 0)' },
      { index: 4, reason: 'unknown fields plan, colour (allowed: consumer_id, org_id, name, email, plan_id, stripe_customer_id, tags, metadata, status, blocked_apis, api_keys)' },
      { index: 5, reason: 'must be an object' },
      { index: 6, reason: 'bad email "bad@"; tags must be an array of strings' },
      { index: 7, reason: 'consumer_id contains control characters' },
      { index: 8, reason: 'consumer_id longer than 256 characters' },
    ]);
  });

  it('reports invalid JSON and a non-array as file errors', () => {
    expect(parseConsumerImport('[{"consumer_id":', 'json').errors[0]?.reason).toMatch(/^not valid JSON: /);
    expect(parseConsumerImport('{"consumer_id":"c"}', 'json')).toEqual({ consumers: [], apiKeys: [], errors: [{ reason: 'JSON import must be an array of consumer objects' }] });
  });

  it('an explicit format overrides detection', () => {
    expect(parseConsumerImport('[x]\nc-1', 'csv').errors[0]).toEqual({ line: 1, reason: expect.stringContaining('unknown column "[x]"') });
  });
});

describe('policy columns and API keys in an import', () => {
  it('reads status, blocked_apis and api_keys from CSV and JSON; keys come back in clear for writeApiKeys', () => {
    const csv = 'consumer_id,status,blocked_apis,api_keys\nc-1,suspended,search;orders,key-aaaaaaaaaaaaaaaa;key-bbbbbbbbbbbbbbbb\nc-2,,,\n';
    expect(parseConsumerImport(csv)).toEqual({
      consumers: [record({ consumer_id: 'c-1', status: 'suspended', blocked_apis: ['search', 'orders'] }), record({ consumer_id: 'c-2' })],
      apiKeys: [
        { consumer_id: 'c-1', key: 'key-aaaaaaaaaaaaaaaa' },
        { consumer_id: 'c-1', key: 'key-bbbbbbbbbbbbbbbb' },
      ],
      errors: [],
    });
    const json = JSON.stringify([{ consumer_id: 'c-3', api_keys: ['key-cccccccccccccccc'] }]);
    expect(parseConsumerImport(json).apiKeys).toEqual([{ consumer_id: 'c-3', key: 'key-cccccccccccccccc' }]);
  });

  it('rejects a short key, a key with spaces, an unknown status and a key given to two consumers, by row', () => {
    const csv = 'consumer_id,status,api_keys\nc-1,,short\nc-2,,has space in the key x\nc-3,banned,\nc-4,,key-dddddddddddddddd\nc-5,,key-dddddddddddddddd\n';
    const { consumers, apiKeys, errors } = parseConsumerImport(csv);
    expect(consumers.map((c) => c.consumer_id)).toEqual(['c-4']);
    expect(apiKeys).toEqual([{ consumer_id: 'c-4', key: 'key-dddddddddddddddd' }]);
    expect(errors).toEqual([
      { line: 2, reason: 'api_keys: an API key must have at least 16 characters' },
      { line: 3, reason: 'api_keys: an API key may hold visible ASCII characters only (no spaces)' },
      { line: 4, reason: 'status must be one of active, suspended' },
      { line: 6, reason: 'an API key of this row is already given to consumer "c-4"' },
    ]);
  });
});
