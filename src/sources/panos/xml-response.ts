import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { VendorErrorReader } from '../http/classify.js';
import { SourceError, type SourceErrorKind } from '../source-error.js';

/** The `<response status=".." code="..">` envelope of every PAN-OS XML API answer. */
export interface PanResponse {
  status: string;
  code?: string;
  /** The `<msg>` text (its `<line>`s joined), when there is one. */
  message?: string;
  result: unknown;
}

/** Values stay strings: serials keep their leading zeros and sequence numbers their digits. */
const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  isArray: (name) => name === 'entry' || name === 'line',
});

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function textOf(node: unknown): string | undefined {
  if (typeof node === 'string') return node.trim() || undefined;
  if (Array.isArray(node)) {
    const parts = node.map(textOf).filter((part): part is string => part !== undefined);
    return parts.length > 0 ? parts.join('; ') : undefined;
  }
  if (isRecord(node)) return textOf(node['#text']) ?? textOf(node.line);
  return undefined;
}

/** Parses an XML body; undefined when it is not complete XML with a `<response>` root. */
function readEnvelope(text: string): PanResponse | undefined {
  if (text.trim() === '' || XMLValidator.validate(text) !== true) return undefined;
  const document: unknown = parser.parse(text);
  const response = isRecord(document) ? document.response : undefined;
  if (!isRecord(response)) return undefined;
  const result = response.result;
  const status = typeof response['@_status'] === 'string' ? response['@_status'] : '';
  const code = typeof response['@_code'] === 'string' ? response['@_code'] : undefined;
  const message = textOf(response.msg) ?? (isRecord(result) ? textOf(result.msg) : undefined);
  return { status, code, message, result };
}

/**
 * What an error code asks for (PAN-OS XML API Error Codes): 2-5 and 21 are internal errors and 22 a timed-out
 * session, worth retrying; 403 and 16 are credentials or rights; the rest (400, 1, 6-18) are a request the
 * firewall will refuse again.
 */
export function panErrorKind(code: string | undefined): SourceErrorKind {
  const number = Number(code);
  if ([2, 3, 4, 5, 21, 22].includes(number)) return 'retryable';
  return 'terminal';
}

/**
 * A 2xx PAN-OS answer. A body that is not complete XML, or not the API's `<response>` (an HTML page from a proxy,
 * a cut connection), is retryable like a truncated JSON body; `status="error"`/`"unauth"` becomes a SourceError
 * with the firewall's code and message.
 */
export function parsePanResponse(sourceId: string, text: string): PanResponse {
  const response = readEnvelope(text);
  if (!response) {
    throw new SourceError('retryable', sourceId, 'PAN-OS answered a body that is not a complete XML API <response> (truncated, or an HTML page)');
  }
  if (response.status !== 'success') {
    const detail = [response.code && `code ${response.code}`, response.message].filter(Boolean).join(': ') || 'no message';
    const refused = response.status === 'unauth' || response.code === '403';
    throw new SourceError(refused ? 'terminal' : panErrorKind(response.code), sourceId, `PAN-OS API ${response.status} (${detail})`, {
      code: refused ? 'source.credentials_rejected' : response.code === '16' ? 'source.forbidden' : undefined,
    });
  }
  return response;
}

/** Non-2xx answers carry the same XML envelope; its code and message name the problem. */
export const panosErrorReader: VendorErrorReader = ({ data }) => {
  const response = typeof data === 'string' ? readEnvelope(data) : undefined;
  if (!response) return undefined;
  const text = [response.code && `code ${response.code}`, response.message].filter(Boolean).join(': ');
  return text ? { text } : undefined;
};
