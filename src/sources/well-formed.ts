import type { RepairCallback, SourceConnector } from './types.js';

/**
 * Vendor strings made well-formed at the connector boundary. A source that passes raw bytes through can deliver an
 * unpaired UTF-16 surrogate (`"\ud800"` in a JSON body), which no JSON decoder outside JavaScript accepts (Redis'
 * cjson rejects it) and which Slack renders as garbage. Each lone surrogate becomes U+FFFD; pairs are kept.
 * (`String.prototype.toWellFormed` does this from Node 20.12 on; this works on every Node 20 and counts.)
 * Invalid UTF-8 is handled where bytes become text, in the shared HTTP client (`decodeUtf8`), counted the same way.
 */

/** Any surrogate code unit; cheap pre-check so the common all-BMP string costs one scan. */
const ANY_SURROGATE = /[\uD800-\uDFFF]/;
/** A high surrogate not followed by a low one, or a low surrogate not preceded by a high one (code units, no `u`). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export const REPLACEMENT_CHARACTER = '\uFFFD';

/** `value` with every lone surrogate replaced by U+FFFD, and how many were replaced. */
export function toWellFormed(value: string): { value: string; replaced: number } {
  if (!ANY_SURROGATE.test(value)) return { value, replaced: 0 };
  let replaced = 0;
  const fixed = value.replace(LONE_SURROGATE, () => {
    replaced += 1;
    return REPLACEMENT_CHARACTER;
  });
  return { value: fixed, replaced };
}

/**
 * A copy of `value` (plain JSON-like data: objects, arrays, strings, numbers) whose strings, keys included, are
 * well-formed, and the number of replaced code units. Untouched sub-trees are returned as they were, not copied.
 */
export function wellFormedDeep<T>(value: T): { value: T; replaced: number } {
  let replaced = 0;
  const visit = (item: unknown): unknown => {
    if (typeof item === 'string') {
      const fixed = toWellFormed(item);
      replaced += fixed.replaced;
      return fixed.value;
    }
    if (Array.isArray(item)) {
      let changed = false;
      const out = item.map((element) => {
        const next = visit(element);
        if (next !== element) changed = true;
        return next;
      });
      return changed ? out : item;
    }
    if (item !== null && typeof item === 'object' && Object.getPrototypeOf(item) === Object.prototype) {
      let changed = false;
      const out: Record<string, unknown> = {};
      for (const [key, element] of Object.entries(item)) {
        const fixedKey = toWellFormed(key);
        replaced += fixedKey.replaced;
        const next = visit(element);
        if (next !== element || fixedKey.replaced > 0) changed = true;
        out[fixedKey.value] = next;
      }
      return changed ? out : item;
    }
    return item;
  };
  const fixed = visit(value) as T;
  return { value: fixed, replaced };
}

const fatalUtf8 = new TextDecoder('utf-8', { fatal: true });
const lenientUtf8 = new TextDecoder('utf-8');
/** U+FFFD as UTF-8: a replacement character the vendor itself sent, not one the decoder put in. */
const FFFD_BYTES = Buffer.from(REPLACEMENT_CHARACTER, 'utf8');

/**
 * A body's bytes as text, each invalid UTF-8 sequence replaced with U+FFFD (as Node's decoder does, BOM dropped),
 * and how many were replaced. A valid body (the rule) is decoded once; only an invalid one is counted.
 */
export function decodeUtf8(bytes: Uint8Array): { value: string; replaced: number } {
  try {
    return { value: fatalUtf8.decode(bytes), replaced: 0 };
  } catch {
    const value = lenientUtf8.decode(bytes);
    let decoded = 0;
    for (let at = value.indexOf(REPLACEMENT_CHARACTER); at >= 0; at = value.indexOf(REPLACEMENT_CHARACTER, at + 1)) decoded += 1;
    const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let sent = 0;
    for (let at = buffer.indexOf(FFFD_BYTES); at >= 0; at = buffer.indexOf(FFFD_BYTES, at + FFFD_BYTES.length)) sent += 1;
    return { value, replaced: Math.max(1, decoded - sent) };
  }
}

/** Lone surrogates replaced in one connection event, as the connector boundary counted them (the poller reads it). */
const repairedByEvent = new WeakMap<object, number>();

/** How many lone surrogates the connector boundary replaced in `event` (0 for events it did not touch). */
export const repairedStringsOf = (event: object): number => repairedByEvent.get(event) ?? 0;

export type { RepairCallback } from './types.js';

/**
 * `connector` with every answer made well-formed: connection events, baseline rows, prevalence and host visibility.
 * This is the one boundary between every vendor and the product; `onRepair` counts what it replaced (a metric, a log
 * line). A repaired connection event remembers its count, so the poller can show it on the watch's coverage.
 */
export function wellFormedConnector(connector: SourceConnector, onRepair: RepairCallback): SourceConnector {
  const source = connector.id;
  const report = (method: string, replaced: number) => {
    if (replaced > 0) onRepair({ source, method, replaced });
  };
  function clean<T>(method: string, answer: T): T {
    const fixed = wellFormedDeep(answer);
    report(method, fixed.replaced);
    return fixed.value;
  }
  const fetchPrevalence = connector.fetchPrevalence?.bind(connector);
  const resolveHosts = connector.resolveHosts?.bind(connector);
  return {
    id: connector.id,
    type: connector.type,
    maxHostsPerQuery: connector.maxHostsPerQuery,
    lookbackMs: connector.lookbackMs,
    ...(connector.coverageNotes === undefined ? {} : { coverageNotes: connector.coverageNotes }),
    ...(connector.ingestionOverlapMs === undefined ? {} : { ingestionOverlapMs: connector.ingestionOverlapMs }),
    async fetchConnections(query) {
      const events = await connector.fetchConnections(query);
      let total = 0;
      const cleaned = events.map((event) => {
        const fixed = wellFormedDeep(event);
        if (fixed.replaced > 0) {
          total += fixed.replaced;
          repairedByEvent.set(fixed.value, fixed.replaced);
        }
        return fixed.value;
      });
      report('connections', total);
      return cleaned;
    },
    async fetchBaseline(query) {
      return clean('baseline', await connector.fetchBaseline(query));
    },
    ...(fetchPrevalence ? { fetchPrevalence: async (query) => clean('prevalence', await fetchPrevalence(query)) } : {}),
    ...(resolveHosts ? { resolveHosts: async (hosts, signal) => clean('hosts', await resolveHosts(hosts, signal)) } : {}),
    close: () => connector.close(),
  };
}
