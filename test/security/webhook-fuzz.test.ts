import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import * as fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/lib/logger.js';
import { startApi, type ApiService } from '../../src/runtime/services.js';
import { mdeSourceYaml, TEST_TOKEN, testConfig } from '../helpers/config.js';
import { dropPrefix, uniquePrefix } from '../helpers/redis.js';

/**
 * 5,000 webhook requests, most of them broken on purpose. Each case knows, from the mutation that made it and not from
 * the product, what the answer must be: a valid request opens exactly one watch (its incident id is unique, so no
 * merge hides a second one), a broken one is refused with the status and code of what was broken and, for a 400, the
 * field named.
 */

const REQUESTS = 5_000;
const CONCURRENCY = 8;
const BODY_LIMIT_BYTES = 256 * 1024;
const SOURCE_ID = 'mde-prod';

/** Replaced at send time by a number of its own per request: incident ids and idempotency keys never repeat. */
const SERIAL = '@@N@@';
/** Replaced at generation time by raw JSON text that JSON.stringify cannot produce (deep nesting, huge numbers). */
const RAW = '@@RAW@@';

/**
 * What no identifier, host name or title holds, by Unicode general category: controls (Cc), format characters
 * (Cf: bidi, zero-width, BOM, soft hyphen, tags), unpaired surrogates (Cs), line and paragraph separators.
 */
const UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/gu;

type Expected =
  | { status: 202 }
  | { status: 400; code: 'request.invalid'; field: string }
  | { status: 400; code: 'request.invalid_json' }
  | { status: 401; code: 'request.unauthorized' }
  | { status: 413; code: 'request.too_large' }
  | { status: 415; code: 'request.unsupported_media_type' };

interface BodyCase {
  story: string;
  /** The raw body; a Buffer only where it must not be valid UTF-8. */
  body: string | Buffer;
  expected: Expected;
}

interface FuzzCase extends BodyCase {
  headers: Record<string, string>;
}

const invalid = (story: string, field: string, body: string | Buffer): BodyCase => ({
  story,
  body,
  expected: { status: 400, code: 'request.invalid', field },
});
const invalidJson = (story: string, body: string | Buffer): BodyCase => ({ story, body, expected: { status: 400, code: 'request.invalid_json' } });

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Request = Record<string, Json>;

const clone = (request: Request): Request => structuredClone(request);

/** Sets a key as an own property even when it is `__proto__`, which plain assignment would turn into a prototype. */
function setKey(target: Record<string, Json>, key: string, value: Json): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Follows a dotted path (`hosts.0.hostname`) and sets, or deletes when `value` is undefined, its last key. */
function withValue(request: Request, path: string, value: Json | undefined): Request {
  const copy = clone(request);
  const keys = path.split('.');
  let node = copy as Record<string, Json>;
  for (const key of keys.slice(0, -1)) node = node[key] as Record<string, Json>;
  const last = keys.at(-1) as string;
  if (value === undefined) delete node[last];
  else setKey(node, last, value);
  return copy;
}

const valueAt = (request: Request, path: string): Json | undefined =>
  path.split('.').reduce<Json | undefined>((node, key) => (node as Record<string, Json> | undefined)?.[key], request);

// ---------------------------------------------------------------------------------------------------------------
// Valid requests

const printableText = (max: number) =>
  fc
    .oneof(
      fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: Math.min(max, 40) }),
      fc.string({ unit: 'binary', minLength: 1, maxLength: Math.min(Math.floor(max / 2), 40) }),
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 8 }),
      fc.constant('x'.repeat(max)),
    )
    .map((text) => text.replace(UNPRINTABLE, ''))
    .filter((text) => text.length >= 1 && text.length <= max);

const ipv4 = fc.ipV4();
const ipv6 = fc.ipV6();
const ip = fc.oneof(ipv4, ipv6);
const cidr = fc.oneof(
  fc.tuple(ipv4, fc.integer({ min: 0, max: 32 })).map(([address, bits]) => `${address}/${bits}`),
  fc.tuple(ipv6, fc.integer({ min: 0, max: 128 })).map(([address, bits]) => `${address}/${bits}`),
);
const domain = fc
  .oneof(
    fc.domain(),
    fc.domain().map((name) => `*.${name}`),
    fc.domain().map((name) => `_dmarc.${name}`),
  )
  .filter((name) => name.length <= 253);

const indicator = fc.oneof(
  ip.map((value) => ({ type: 'ip', value })),
  cidr.map((value) => ({ type: 'cidr', value })),
  domain.map((value) => ({ type: 'domain', value })),
);

const host = fc
  .record({ hostname: printableText(255), ip, edr_id: printableText(128) }, { requiredKeys: [] })
  .filter((candidate) => candidate.hostname !== undefined || candidate.ip !== undefined);

const durationBetween = (minMs: number, maxMs: number) =>
  fc
    .tuple(fc.constantFrom(['s', 1_000] as const, ['m', 60_000] as const, ['h', 3_600_000] as const, ['d', 86_400_000] as const), fc.nat())
    .map(([[unit, ms], n]) => {
      const lowest = Math.ceil(minMs / ms);
      const highest = Math.floor(maxMs / ms);
      return highest < lowest ? `${Math.ceil(minMs / 1_000)}s` : `${lowest + (n % (highest - lowest + 1))}${unit}`;
    });

const DAY = 86_400_000;
const EARLIEST_BLOCK = Date.UTC(2000, 0, 1);
const blockedAt = fc
  .tuple(fc.integer({ min: EARLIEST_BLOCK, max: Date.now() - 60_000 }), fc.constantFrom('Z', '+00:00', '+05:30', '-08:00'))
  .map(([ms, zone]) => {
    const iso = new Date(ms).toISOString();
    if (zone === 'Z') return iso;
    // Same instant, written in another offset.
    const sign = zone.startsWith('-') ? -1 : 1;
    const offsetMs = sign * (Number(zone.slice(1, 3)) * 3_600_000 + Number(zone.slice(4, 6)) * 60_000);
    return new Date(ms + offsetMs).toISOString().replace('Z', zone);
  })
  .filter((iso) => Date.parse(iso) >= EARLIEST_BLOCK);

const SLACK_CHANNEL = /^(?:[CGD][A-Z0-9]{8,20}|#?[a-z0-9][a-z0-9._-]{0,79})$/;

const validRequest: fc.Arbitrary<Request> = fc.record(
  {
    incident_id: fc.oneof(fc.constant(`INC-${SERIAL}`), printableText(100).map((prefix) => `${prefix}${SERIAL}`)),
    title: printableText(500),
    severity: fc.constantFrom('low', 'medium', 'high', 'critical'),
    slack_channel: fc.stringMatching(SLACK_CHANNEL),
    blocked: fc.array(indicator, { minLength: 1, maxLength: 4 }),
    blocked_at: blockedAt,
    control: printableText(200),
    hosts: fc.array(host, { minLength: 1, maxLength: 4 }),
    watch: fc.record(
      { duration: durationBetween(1_000, 30 * DAY), poll_interval: durationBetween(1_000, 3_600_000), baseline: durationBetween(60_000, 30 * DAY) },
      { requiredKeys: [] },
    ),
    sources: fc.array(fc.constant(SOURCE_ID), { minLength: 1, maxLength: 3 }),
    action_id: fc.constant(`act-${SERIAL}`),
  },
  { requiredKeys: ['incident_id', 'blocked', 'hosts'] },
) as fc.Arbitrary<Request>;

// ---------------------------------------------------------------------------------------------------------------
// Mutations of a valid request, each with the field it breaks

/** Characters no field may hold: C0 and C1 controls, DEL, bidi, zero-width, BOM, separators, lone surrogates, tags. */
const hostileCharacter = fc.oneof(
  fc.integer({ min: 0x00, max: 0x1f }),
  fc.integer({ min: 0x7f, max: 0x9f }),
  fc.constantFrom(0x061c, 0x200e, 0x200f, 0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069),
  fc.constantFrom(0x200b, 0x200c, 0x200d, 0x2060, 0x2061, 0x2062, 0x2063, 0x2064, 0xfeff, 0x00ad, 0x180e),
  fc.constantFrom(0x2028, 0x2029),
  fc.integer({ min: 0xd800, max: 0xdfff }),
  fc.constantFrom(0xfff9, 0xfffa, 0xfffb, 0xe0001),
  fc.integer({ min: 0xe0020, max: 0xe007f }),
).map((codePoint) => String.fromCodePoint(codePoint));

const insertAt = (text: string, position: number, inserted: string) => {
  const at = position % (text.length + 1);
  return `${text.slice(0, at)}${inserted}${text.slice(at)}`;
};

/** Fields that are text, with their longest allowed length; array paths take index 0, which every array has. */
const TEXT_FIELDS: Record<string, number> = {
  incident_id: 128,
  title: 500,
  control: 200,
  action_id: 200,
  'hosts.0.hostname': 255,
  'hosts.0.edr_id': 128,
  'sources.0': 64,
};

/** Every path a mutation may touch, with a value of the right shape for it. */
const ensured = (request: Request, path: string): Request => {
  if (valueAt(request, path) !== undefined) return request;
  const filled: Record<string, Json> = {
    title: 'Beacon on finance',
    control: 'fw-edge',
    action_id: `act-${SERIAL}`,
    'hosts.0.hostname': 'FIN-WS-042',
    'hosts.0.edr_id': 'edr-1',
    'sources.0': SOURCE_ID,
    severity: 'high',
    slack_channel: 'C07ABCDEF12',
    blocked_at: '2026-01-01T00:00:00Z',
    watch: {},
  };
  if (path === 'sources.0') return { ...request, sources: [SOURCE_ID] };
  return withValue(request, path, filled[path]);
};

const json = (request: Request) => JSON.stringify(request);

const oddIp = fc.oneof(
  fc.constantFrom(
    '999.1.1.1',
    '1.2.3',
    '1.2.3.4.5',
    '01.2.3.4',
    '0x7f.0.0.1',
    '2130706433',
    '1.2.3.4/32',
    ' 1.2.3.4',
    '1.2.3.4 ',
    ':::',
    '1:2:3:4:5:6:7:8:9',
    'gggg::1',
    '',
    '256.256.256.256',
    '1.2.3.-4',
    'localhost',
  ),
  fc.ipV4Extended().filter((text) => !/^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/.test(text)),
);
const oddCidr = fc.constantFrom('10.0.0.0/33', '10.0.0.0/-1', '10.0.0.0', '10.0.0.0/', '10.0.0.0/8/8', '::/129', '300.0.0.0/8', '/8', '10.0.0.0/x', '10.0.0.0 /8');
const oddDomain = fc.oneof(
  fc.constantFrom('example.123', '10.0.0.1', 'a..example', '-a.example', 'a-.example', 'ex ample.com', 'example', '.example', 'example.c', 'exa/mple.com', 'user@example.com', 'example.com:443', '', '*.', '*.*.example'),
  fc.tuple(fc.domain(), fc.integer({ min: 0, max: 999 })).map(([name, tld]) => `${name}.${tld}`),
  fc.constant(`${'a'.repeat(63)}.`.repeat(4) + 'com'),
  fc.constant(`${'a'.repeat(64)}.com`),
);
const oddDate = fc.oneof(
  fc.constantFrom(
    '0000-01-01T00:00:00Z',
    '1970-01-01T00:00:00Z',
    '1999-12-31T23:59:59Z',
    '2026-13-01T00:00:00Z',
    '2026-02-30T00:00:00Z',
    '2026-01-01T25:00:00Z',
    '2026-01-01',
    '2026-01-01T00:00:00',
    'yesterday',
    '+275760-09-13T00:00:00Z',
    '9999-12-31T23:59:59Z',
    '',
  ),
  fc.integer({ min: 2, max: 3_000 }).map((days) => new Date(Date.now() + days * DAY).toISOString()),
);
const oddDuration = fc.constantFrom('0s', '500ms', '31d', '1000000000s', '1h30m', '-1h', '1H', '', 'forever', '9999999999999999999999s', '1.5h', '24');

/** Values of a JSON type other than `type`. */
const otherThan = (type: 'string' | 'array' | 'object') =>
  fc.oneof(
    ...(type === 'string' ? [] : [fc.string()]),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.boolean(),
    fc.constant(null),
    ...(type === 'array' ? [] : [fc.array(fc.string(), { maxLength: 3 })]),
    ...(type === 'object' ? [] : [fc.dictionary(fc.string({ minLength: 1, maxLength: 5 }), fc.string(), { maxKeys: 3 })]),
  ) as fc.Arbitrary<Json>;

const FIELD_TYPES: Record<string, 'string' | 'array' | 'object'> = {
  incident_id: 'string',
  title: 'string',
  severity: 'string',
  slack_channel: 'string',
  blocked: 'array',
  blocked_at: 'string',
  control: 'string',
  hosts: 'array',
  watch: 'object',
  sources: 'array',
  action_id: 'string',
  'hosts.0': 'object',
  'blocked.0': 'object',
  'blocked.0.value': 'string',
  'hosts.0.hostname': 'string',
  'hosts.0.ip': 'string',
  'watch.duration': 'string',
};

const KNOWN_KEYS = new Set([...Object.keys(FIELD_TYPES), 'ip', 'edr_id', 'hostname', 'type', 'value', 'duration', 'poll_interval', 'baseline']);
const unknownKey = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'priority', 'Incident_ID', 'incident_id ', 'hosts\u0000'),
  fc.string({ minLength: 1, maxLength: 12 }),
).filter((key) => !KNOWN_KEYS.has(key));

/** Nesting that JSON.stringify would never produce from a request, deep enough to hurt a recursive walker. */
const deepValue = fc.oneof(
  fc.integer({ min: 1, max: 100_000 }).map((depth) => `${'['.repeat(depth)}${']'.repeat(depth)}`),
  fc.integer({ min: 1, max: 35_000 }).map((depth) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`),
);
const hugeNumber = fc.constantFrom('1e400', '-1e400', '123456789012345678901234567890', '0.' + '0'.repeat(400) + '1', '-0', '1E+999999', '9'.repeat(5_000));

/** Byte sequences that are not UTF-8 wherever they stand before an ASCII byte. */
const invalidUtf8 = fc.oneof(
  fc.constantFrom(
    [0xc0, 0x80], // overlong NUL
    [0xe0, 0x80, 0xaf], // overlong '/'
    [0xed, 0xa0, 0x80], // an encoded surrogate (CESU-8)
    [0xf4, 0x90, 0x80, 0x80], // beyond U+10FFFF
    [0xf8, 0x88, 0x80, 0x80, 0x80], // five-byte form
    [0xfe],
    [0xff],
    [0xc3], // truncated two-byte sequence
    [0xe2, 0x82], // truncated three-byte sequence
  ),
  fc.integer({ min: 0x80, max: 0xff }).map((byte) => [byte]),
);

function bodyMutation(request: Request): fc.Arbitrary<BodyCase> {
  const textField = fc.constantFrom(...Object.keys(TEXT_FIELDS));
  return fc.oneof(
    fc.constantFrom('incident_id', 'blocked', 'hosts').map((field) => invalid(`${field} missing`, field, json(withValue(request, field, undefined)))),
    fc.constantFrom(...Object.keys(FIELD_TYPES)).chain((field) =>
      otherThan(FIELD_TYPES[field] as 'string').map((value) =>
        invalid(`${field} of the wrong type`, field, json(withValue(ensured(request, field.startsWith('watch.') ? 'watch' : field), field, value))),
      ),
    ),
    fc
      .tuple(fc.constantFrom('', 'hosts.0', 'blocked.0', 'watch'), unknownKey, fc.jsonValue() as fc.Arbitrary<Json>)
      .map(([parent, key, value]) => {
        const base = parent === 'watch' ? ensured(request, 'watch') : request;
        const target = clone(base);
        setKey((parent ? valueAt(target, parent) : target) as Record<string, Json>, key, value);
        return invalid(`unknown field ${JSON.stringify(key)}`, parent ? `${parent}.${key}` : key, json(target));
      }),
    textField.chain((field) =>
      fc.integer({ min: 1, max: 2_000 }).map((extra) => {
        const length = (TEXT_FIELDS[field] as number) + extra;
        return invalid(`${field} of ${length} characters`, field, json(withValue(ensured(request, field), field, `${SERIAL}${'é'.repeat(length)}`)));
      }),
    ),
    fc.constantFrom('blocked.0.value').map((field) => invalid('a domain over 253 characters', field, json(withValue(request, 'blocked.0', { type: 'domain', value: `${'a'.repeat(60)}.`.repeat(5) + 'example' })))),
    fc
      .constantFrom(['blocked', 100, { type: 'ip', value: '203.0.113.7' }] as const, ['hosts', 500, { hostname: 'WS' }] as const, ['sources', 20, SOURCE_ID] as const)
      .chain(([field, max, item]) =>
        fc.integer({ min: 1, max: 40 }).map((extra) => invalid(`${max + extra} ${field}`, field, json({ ...request, [field]: Array.from({ length: max + extra }, () => item) }))),
      ),
    fc.constantFrom(...Object.keys(TEXT_FIELDS)).map((field) => invalid(`${field} empty`, field, json(withValue(ensured(request, field), field, '')))),
    fc.constantFrom('blocked', 'hosts', 'sources').map((field) => invalid(`${field} empty`, field, json({ ...request, [field]: [] }))),
    fc
      .tuple(fc.constantFrom(...Object.keys(TEXT_FIELDS), 'slack_channel', 'blocked.0.value', 'hosts.0.ip'), hostileCharacter, fc.nat())
      .map(([field, character, position]) => {
        const base = ensured(request, field);
        const current = String(valueAt(base, field) ?? '');
        const name = `U+${(character.codePointAt(0) as number).toString(16).toUpperCase().padStart(4, '0')}`;
        // hosts.0.ip may be absent; a host always has a hostname or an ip, so add one.
        const value = insertAt(field === 'hosts.0.ip' && current === '' ? '10.0.0.1' : current, position, character);
        return invalid(`${name} in ${field}`, field, json(withValue(base, field, value)));
      }),
    fc.oneof(
      fc.constantFrom('url', 'IP', 'Domain', '', 'hash', 'ipv4', 'type').map((type) => invalid(`indicator type ${JSON.stringify(type)}`, 'blocked.0.type', json(withValue(request, 'blocked.0', { type, value: '203.0.113.7' })))),
      oddIp.map((value) => invalid(`ip indicator ${JSON.stringify(value)}`, 'blocked.0.value', json(withValue(request, 'blocked.0', { type: 'ip', value })))),
      oddCidr.map((value) => invalid(`cidr indicator ${JSON.stringify(value)}`, 'blocked.0.value', json(withValue(request, 'blocked.0', { type: 'cidr', value })))),
      oddDomain.map((value) => invalid(`domain indicator ${JSON.stringify(value)}`, 'blocked.0.value', json(withValue(request, 'blocked.0', { type: 'domain', value })))),
      fc.constant(invalid('a CIDR given as an ip', 'blocked.0.value', json(withValue(request, 'blocked.0', { type: 'ip', value: '10.0.0.0/8' })))),
      fc.constant(invalid('an address given as a CIDR', 'blocked.0.value', json(withValue(request, 'blocked.0', { type: 'cidr', value: '10.0.0.1' })))),
    ),
    oddIp.map((value) => invalid(`host ip ${JSON.stringify(value)}`, 'hosts.0.ip', json(withValue(request, 'hosts.0', { hostname: 'WS-1', ip: value })))),
    fc.constantFrom<Json>({}, { edr_id: 'edr-1' }).map((bare) => invalid('a host with neither hostname nor ip', 'hosts.0.hostname', json(withValue(request, 'hosts.0', bare)))),
    oddDate.map((value) => invalid(`blocked_at ${JSON.stringify(value)}`, 'blocked_at', json({ ...request, blocked_at: value }))),
    fc
      .tuple(fc.constantFrom('duration', 'poll_interval', 'baseline'), oddDuration)
      .map(([option, value]) => invalid(`watch.${option} ${JSON.stringify(value)}`, `watch.${option}`, json({ ...request, watch: { [option]: value } }))),
    fc.constantFrom('urgent', 'HIGH', 'info', '', ' high', 'critical\u0000').map((value) => invalid(`severity ${JSON.stringify(value)}`, 'severity', json({ ...request, severity: value }))),
    fc
      .constantFrom('<!channel>', '<@U123ABC>', '@here', '#', '', 'general channel', '#Gen', 'C0', 'a'.repeat(81), '#general\n', 'C07ABCDEF12 ')
      .map((value) => invalid(`slack_channel ${JSON.stringify(value)}`, 'slack_channel', json({ ...request, slack_channel: value }))),
    printableText(64)
      .filter((source) => source !== SOURCE_ID)
      .map((source) => invalid(`unknown source ${JSON.stringify(source)}`, 'sources.1', json({ ...request, sources: [SOURCE_ID, source] }))),
    fc
      .tuple(fc.constantFrom('incident_id', 'hosts', 'watch', 'x-deep'), deepValue)
      .map(([field, deep]) => invalid(`${field} nested deeply`, field, json({ ...request, [field]: RAW }).replace(`"${RAW}"`, deep))),
    fc
      .tuple(fc.constantFrom('incident_id', 'title', 'blocked', 'hosts', 'watch', 'hosts.0.hostname'), hugeNumber)
      .map(([field, number]) => invalid(`${field} is the number ${number.slice(0, 20)}`, field, json(withValue(request, field, RAW)).replace(`"${RAW}"`, number))),
    fc
      .tuple(fc.constantFrom('incident_id', 'title', 'severity', 'hosts', 'blocked'), fc.boolean(), fc.constantFrom<Json>(42, null, '', ['x']))
      .map(([field, invalidFirst, bad]) => {
        const good = JSON.stringify(ensured(request, field)[field]);
        const [first, second] = invalidFirst ? [JSON.stringify(bad), good] : [good, JSON.stringify(bad)];
        const rest = json(withValue(request, field, undefined)).slice(1);
        return invalid(`${field} given twice, the ${invalidFirst ? 'first' : 'second'} invalid`, field, `{${JSON.stringify(field)}:${first},${JSON.stringify(field)}:${second},${rest}`);
      }),
    fc.constantFrom('[1,2,3]', 'null', 'true', '42', '"INC-1"', '[]', `[${json(request)}]`).map((body) => invalid(`a body of ${body.slice(0, 10)}`, '(body)', body)),
    fc.constantFrom('', '{}', '   {}  ').map((body) => invalid(`the body ${JSON.stringify(body)}`, 'incident_id', body)),
    fc.oneof(
      fc.nat().map((cut) => {
        const text = json(request);
        return invalidJson('truncated JSON', text.slice(0, 1 + (cut % (text.length - 1))));
      }),
      fc.constantFrom('x', ',', '}', '{', ']', '"', '\u0000').map((tail) => invalidJson(`JSON followed by ${JSON.stringify(tail)}`, `${json(request)}${tail}`)),
      fc.constant(invalidJson('a trailing comma', `${json(request).slice(0, -1)},}`)),
      fc.constant(invalidJson('single quotes', json(request).replaceAll('"', "'"))),
      fc.constant(invalidJson('a comment', `/* c */${json(request)}`)),
      fc.constant(invalidJson('NaN', `{"incident_id":NaN,${json(request).slice(1)}`)),
      fc.constant(invalidJson('unquoted keys', json(request).replace(/"([a-z_]+)":/g, '$1:'))),
    ),
    fc.tuple(invalidUtf8, fc.boolean()).map(([bytes, inString]) => {
      const text = json(request);
      const at = inString ? text.indexOf(SERIAL) : 0;
      const body = Buffer.concat([Buffer.from(text.slice(0, at)), Buffer.from(bytes), Buffer.from(text.slice(at))]);
      return invalidJson(`invalid UTF-8 ${Buffer.from(bytes).toString('hex')} ${inString ? 'in incident_id' : 'before the body'}`, body);
    }),
    fc.constant(invalidJson('a UTF-16 body', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(json(request), 'utf16le')]))),
    fc.constant(invalidJson('a byte-order mark before the body', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(json(request))]))),
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Headers

const VALID_HEADERS = { 'Content-Type': 'application/json', Authorization: `Bearer ${TEST_TOKEN}` };

/** Header text Node will send: tab, visible ASCII, space and Latin-1. */
const headerText = (maxLength: number) =>
  fc.string({ unit: fc.oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.constant(0x09), fc.integer({ min: 0x80, max: 0xff })).map((code) => String.fromCharCode(code)), maxLength });

const mutatedToken = fc.oneof(
  fc.nat({ max: TEST_TOKEN.length - 1 }).map((at) => `${TEST_TOKEN.slice(0, at)}${TEST_TOKEN[at] === 'x' ? 'y' : 'x'}${TEST_TOKEN.slice(at + 1)}`),
  fc.nat({ max: TEST_TOKEN.length - 1 }).map((at) => TEST_TOKEN.slice(0, at)),
  fc.constant(`${TEST_TOKEN}x`),
  fc.constant(TEST_TOKEN.toUpperCase()),
);

const garbageAuthorization = fc.oneof(
  headerText(80).filter((text) => !text.includes(TEST_TOKEN)),
  mutatedToken.map((token) => `Bearer ${token}`),
  fc.constantFrom(
    `Basic ${Buffer.from(`soar:${TEST_TOKEN}`).toString('base64')}`,
    `Token ${TEST_TOKEN}`,
    `Bearer${TEST_TOKEN}`,
    `Bearer ${TEST_TOKEN} ${TEST_TOKEN}`,
    `Bearer ${TEST_TOKEN},Bearer x`,
    'Bearer',
    'Bearer ',
    '',
  ),
);

const nowSeconds = () => Math.floor(Date.now() / 1000);
const garbageSignatureHeaders = fc
  .record(
    {
      'X-CW-Timestamp': fc.oneof(headerText(20), fc.constant(String(nowSeconds())), fc.integer({ min: -1_000_000, max: 1_000_000 }).map((skew) => String(nowSeconds() + skew)), fc.constant('')),
      'X-CW-Signature': fc.oneof(
        headerText(100),
        fc.constantFrom('v1=', 'v2=').chain((scheme) => fc.uint8Array({ minLength: 32, maxLength: 32 }).map((mac) => `${scheme}${Buffer.from(mac).toString('hex')}`)),
        fc.constant(''),
      ),
    },
    { requiredKeys: [] },
  )
  .map((headers) => ({ 'Content-Type': 'application/json', ...headers }));

const wrongContentType = fc.oneof(
  fc.constantFrom(
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'application/xml',
    'text/json',
    'application/jsonp',
    'application/json-patch+json',
    'text/html; charset=utf-8',
    'application/octet-stream',
  ),
  fc.stringMatching(/^x-[a-z]{1,10}\/[a-z0-9.+-]{1,20}$/),
);

/** Headers that mean nothing to the API: they must not change the answer. */
const noise = fc.dictionary(fc.stringMatching(/^X-Fuzz-[A-Za-z0-9-]{1,10}$/), headerText(60), { maxKeys: 3 });

type HeaderMutation = { story: string; headers: Record<string, string>; expected?: Expected; needsValidBody?: boolean };

const headerMutation: fc.Arbitrary<HeaderMutation> = fc.oneof(
  fc.constant({ story: 'no credentials', headers: { 'Content-Type': 'application/json' }, expected: { status: 401, code: 'request.unauthorized' } as Expected }),
  garbageAuthorization.map((value) => ({
    story: `Authorization ${JSON.stringify(value)}`,
    headers: { 'Content-Type': 'application/json', Authorization: value },
    expected: { status: 401, code: 'request.unauthorized' } as Expected,
  })),
  garbageSignatureHeaders.map((headers) => ({ story: 'garbage signature headers', headers, expected: { status: 401, code: 'request.unauthorized' } as Expected })),
  wrongContentType.map((type) => ({
    story: `Content-Type ${type}`,
    headers: { ...VALID_HEADERS, 'Content-Type': type },
    expected: { status: 415, code: 'request.unsupported_media_type' } as Expected,
  })),
  fc.constant({ story: 'no Content-Type', headers: { Authorization: `Bearer ${TEST_TOKEN}` }, expected: { status: 415, code: 'request.unsupported_media_type' } as Expected }),
  fc
    .oneof(fc.constant(''), fc.integer({ min: 201, max: 2_000 }).map((length) => `k${SERIAL}${'k'.repeat(length)}`))
    .map((key) => ({
      story: `Idempotency-Key of ${key.length} characters`,
      headers: { ...VALID_HEADERS, 'Idempotency-Key': key },
      expected: { status: 400, code: 'request.invalid', field: 'Idempotency-Key' } as Expected,
      needsValidBody: true,
    })),
);

const validHeaders: fc.Arbitrary<HeaderMutation> = fc.oneof(
  fc.constant({ story: 'valid headers', headers: VALID_HEADERS }),
  fc.constant({ story: 'valid headers, charset', headers: { ...VALID_HEADERS, 'Content-Type': 'application/json; charset=utf-8' } }),
  fc.constant({ story: 'valid headers, Idempotency-Key', headers: { ...VALID_HEADERS, 'Idempotency-Key': `key-${SERIAL}` } }),
);

const oversized: fc.Arbitrary<BodyCase> = fc.integer({ min: 1, max: 64 * 1024 }).map((extra) => ({
  story: 'a body over 256 KiB',
  body: json({ incident_id: `INC-${SERIAL}`, title: 'x'.repeat(BODY_LIMIT_BYTES + extra), blocked: [], hosts: [] }),
  expected: { status: 413, code: 'request.too_large' },
}));

const validCase: fc.Arbitrary<BodyCase> = validRequest.map((request) => ({ story: 'valid', body: json(request), expected: { status: 202 } }));
const invalidBody: fc.Arbitrary<BodyCase> = validRequest.chain(bodyMutation);

/** Combines a body and headers; a refusal that comes before reading the body wins, as it must (413, then 401, then 415). */
function combine(body: BodyCase, header: HeaderMutation, extra: Record<string, string>): FuzzCase {
  const headers = { ...extra, ...header.headers };
  const story = `${body.story}; ${header.story}`;
  if (body.expected.status === 413) return { ...body, story, headers };
  // An empty body without a Content-Type is read as {}: there is no content whose type could be wrong.
  if (body.body.length === 0 && !('Content-Type' in headers) && header.expected?.status === 415) return { ...body, story, headers };
  return { story, body: body.body, headers, expected: header.expected ?? body.expected };
}

const fuzzCase: fc.Arbitrary<FuzzCase> = fc.oneof(
  { weight: 15, arbitrary: fc.tuple(validCase, validHeaders, noise).map(([body, header, extra]) => combine(body, header, extra)) },
  { weight: 60, arbitrary: fc.tuple(invalidBody, validHeaders, noise).map(([body, header, extra]) => combine(body, header, extra)) },
  {
    weight: 20,
    arbitrary: fc
      .tuple(fc.oneof(validCase, invalidBody), headerMutation, noise)
      .map(([body, header, extra]) => (header.needsValidBody && body.expected.status !== 202 ? combine(body, { story: 'valid headers', headers: VALID_HEADERS }, extra) : combine(body, header, extra))),
  },
  { weight: 2, arbitrary: fc.tuple(oversized, fc.oneof(validHeaders, headerMutation), noise).map(([body, header, extra]) => combine(body, header, extra)) },
);

// ---------------------------------------------------------------------------------------------------------------
// Sending

interface Answer {
  status: number;
  text: string;
}

const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });

function send(url: string, headers: Record<string, string>, body: Buffer): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const outgoing = request(url, { method: 'POST', agent, headers: { ...headers, 'Content-Length': String(body.length) } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', reject);
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

const withSerial = (text: string, serial: string) => text.replaceAll(SERIAL, serial);
const bodyWithSerial = (body: string | Buffer, serial: string): Buffer =>
  typeof body === 'string' ? Buffer.from(withSerial(body, serial)) : Buffer.from(withSerial(body.toString('latin1'), serial), 'latin1');

const shown = (text: string, max = 600) => (text.length > max ? `${text.slice(0, max)}… (${text.length} characters)` : text);

/** Why the answer is not the expected one, or undefined when it is. */
function mismatch(expected: Expected, answer: Answer, incidentId: string): string | undefined {
  if (answer.status >= 500) return `a ${answer.status}`;
  if (answer.status !== expected.status) return `expected ${expected.status}, got ${answer.status}`;
  let body: { code?: string; incident_id?: string; merged?: boolean; issues?: { path: string }[] };
  try {
    body = JSON.parse(answer.text) as typeof body;
  } catch {
    return 'the answer is not JSON';
  }
  if (expected.status === 202) return body.incident_id === incidentId && body.merged === false ? undefined : `accepted as ${body.incident_id}, merged ${body.merged}`;
  if (body.code !== expected.code) return `expected code ${expected.code}, got ${body.code}`;
  if ('field' in expected) {
    const paths = (body.issues ?? []).map((issue) => issue.path);
    const named = paths.some((path) => path === expected.field || path.startsWith(`${expected.field}.`));
    if (!named) return `the issues name ${JSON.stringify(paths)}, not ${expected.field}`;
  }
  return undefined;
}

describe('5,000 fuzzed webhook requests', () => {
  const prefix = uniquePrefix('fuzz');
  let api: ApiService;
  const statuses = new Map<number, number>();
  let sent = 0;
  let acceptedValid = 0;

  beforeAll(async () => {
    const yaml = `sources:\n${mdeSourceYaml('http://127.0.0.1:9')}`;
    api = await startApi(testConfig({ prefix, yaml, env: { WEBHOOK_RATE_LIMIT_PER_MINUTE: String(10 * REQUESTS) } }), silentLogger());
  });

  afterAll(async () => {
    agent.destroy();
    await api?.close();
    await dropPrefix(prefix);
  });

  it('get no 5xx, open a watch only for the valid ones, and refuse each broken one naming what broke', async () => {
    const run = randomBytes(4).toString('hex');
    await fc.assert(
      fc.asyncProperty(fc.array(fuzzCase, { minLength: CONCURRENCY, maxLength: CONCURRENCY }), async (cases) => {
        const answers = await Promise.all(
          cases.map(async (fuzz) => {
            sent += 1;
            const serial = `${run}-${sent}`;
            const headers = Object.fromEntries(Object.entries(fuzz.headers).map(([name, value]) => [name, withSerial(value, serial)]));
            const answer = await send(`${api.url}/v1/containments`, headers, bodyWithSerial(fuzz.body, serial));
            statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
            const incidentId = fuzz.expected.status === 202 ? withSerial(String((JSON.parse(fuzz.body as string) as Request).incident_id), serial) : '';
            if (fuzz.expected.status === 202 && answer.status === 202) acceptedValid += 1;
            return { fuzz, answer, headers, problem: mismatch(fuzz.expected, answer, incidentId) };
          }),
        );
        for (const { fuzz, answer, headers, problem } of answers) {
          if (problem === undefined) continue;
          const body = typeof fuzz.body === 'string' ? fuzz.body : `(bytes) ${fuzz.body.toString('latin1')}`;
          throw new Error(
            [`${fuzz.story}: ${problem}`, `request headers: ${shown(JSON.stringify(headers))}`, `request body: ${shown(JSON.stringify(body))}`, `answer: ${answer.status} ${shown(answer.text)}`].join('\n'),
          );
        }
      }),
      { numRuns: REQUESTS / CONCURRENCY },
    );

    const watches = await listAllWatches(api.url);
    console.log(
      `webhook fuzz: ${sent} requests, ${acceptedValid} valid ones accepted, ${watches} watches; by status: ${[...statuses.entries()]
        .sort(([a], [b]) => a - b)
        .map(([status, count]) => `${status}: ${count}`)
        .join(', ')}`,
    );
    expect(sent).toBe(REQUESTS);
    expect(acceptedValid).toBeGreaterThan(REQUESTS / 20);
    expect(watches).toBe(acceptedValid);
  });
});

async function listAllWatches(url: string): Promise<number> {
  let count = 0;
  let cursor: string | null = null;
  do {
    const query: string = `state=all&limit=500${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`;
    const answer = await new Promise<Answer>((resolve, reject) => {
      request(`${url}/v1/watches?${query}`, { agent, headers: { Authorization: `Bearer ${TEST_TOKEN}` } }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      })
        .on('error', reject)
        .end();
    });
    expect(answer.status, answer.text).toBe(200);
    const page = JSON.parse(answer.text) as { watches: unknown[]; next_cursor: string | null };
    count += page.watches.length;
    cursor = page.next_cursor;
  } while (cursor !== null);
  return count;
}
