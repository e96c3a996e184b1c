import { isAxiosError } from 'axios';
import type { FailureCode } from '../../lib/failure.js';
import { SourceError, type SourceErrorKind } from '../source-error.js';
import { retryAfterHint, type HeaderMap, type RetryHint } from './retry-policy.js';

/**
 * A vendor's own reading of a failed answer, for envelopes `vendorErrorText` does not know (XML, Splunk's
 * `messages`): the text to show, and a kind when the status alone misleads (Splunk answers its search-concurrency
 * limit with a 503 that is a throttle, not an outage). Undefined fields fall back to the generic reading.
 */
export type VendorErrorReader = (response: { status: number; headers: HeaderMap; data: unknown }) =>
  | { text?: string; kind?: SourceErrorKind }
  | undefined;

export interface ClassifyOptions {
  /** Where a 429/503 says how long to wait. Default: `Retry-After`. */
  retryHint?: RetryHint;
  /** The vendor's error envelope and throttle signals. Default: the generic JSON envelopes only. */
  vendorError?: VendorErrorReader;
  nowMs?: number;
}

const TERMINAL_STATUSES = new Set([400, 401, 403, 404, 422]);
const RETRYABLE_CODES = new Set([
  'ECONNABORTED',
  'ETIMEDOUT',
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'ERR_NETWORK',
  'ERR_BAD_RESPONSE',
]);
const MAX_VENDOR_TEXT = 300;
/** OAuth token-endpoint errors (RFC 6749 §5.2) that mean the client's own credentials were refused, whatever the status. */
const OAUTH_CREDENTIAL_ERRORS = new Set(['invalid_client', 'unauthorized_client', 'invalid_grant']);

/** Vendor text is untrusted: no control characters (log forging), bounded length. */
function clean(text: string): string {
  // eslint-disable-next-line no-control-regex
  const flat = text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return flat.length > MAX_VENDOR_TEXT ? `${flat.slice(0, MAX_VENDOR_TEXT)}…` : flat;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The code the status alone would not give: an OAuth credential refusal answered with a 400. */
function credentialCode(data: unknown): FailureCode | undefined {
  let parsed = data;
  if (typeof data === 'string') {
    try {
      parsed = JSON.parse(data);
    } catch {
      return undefined;
    }
  }
  const error = isRecord(parsed) ? parsed.error : undefined;
  return typeof error === 'string' && OAUTH_CREDENTIAL_ERRORS.has(error) ? 'source.credentials_rejected' : undefined;
}

const firstText = (...values: unknown[]): string | undefined => {
  for (const value of values) {
    if (typeof value === 'string' && value !== '') return value;
    if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  }
  return undefined;
};

/** `code`/`message`, or their names in other envelopes: Elasticsearch `type`/`reason`, SentinelOne `detail`/`title`. */
function codeAndMessage(value: unknown): string | undefined {
  if (!isRecord(value)) return undefined;
  const parts = [firstText(value.code, value.type), firstText(value.message, value.reason, value.detail, value.title)].filter(
    (part): part is string => part !== undefined,
  );
  return parts.length > 0 ? parts.join(': ') : undefined;
}

/**
 * The vendor's own error code and message, from the envelopes our vendors use: Graph/MDE
 * `{"error":{"code","message"}}`, OAuth `{"error","error_description"}`, Elasticsearch
 * `{"error":{"type","reason"}}`, `{"errors":[{code,message}]}` (Falcon, numeric codes) or
 * `{"errors":[{code,title,detail}]}` (SentinelOne), or a bare `{"message"}`.
 */
export function vendorErrorText(body: unknown): string | undefined {
  let parsed = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch {
      return undefined;
    }
  }
  if (!isRecord(parsed)) return undefined;
  const { error, errors } = parsed;
  const text =
    codeAndMessage(error) ??
    (typeof error === 'string'
      ? [error, parsed.error_description].filter((part) => typeof part === 'string' && part !== '').join(': ')
      : undefined) ??
    (Array.isArray(errors) ? codeAndMessage(errors[0]) : undefined) ??
    (typeof parsed.message === 'string' ? parsed.message : undefined);
  return text ? clean(text) : undefined;
}

/** A non-2xx answer as a SourceError; the message names the status and the vendor's code/message, never the request. */
export function classifyStatus(
  sourceId: string,
  response: { status: number; headers: HeaderMap; data: unknown },
  options: ClassifyOptions = {},
): SourceError {
  const { status } = response;
  const reading = options.vendorError?.(response);
  const vendor = reading?.text ? clean(reading.text) : vendorErrorText(response.data);
  const message = `HTTP ${status} from the vendor API${vendor ? ` (${vendor})` : ''}`;
  const hint = (options.retryHint ?? retryAfterHint)(response.headers, options.nowMs ?? Date.now());
  if (reading?.kind) return new SourceError(reading.kind, sourceId, message, { status, retryAfterMs: reading.kind === 'terminal' ? undefined : hint });
  if (status === 429) return new SourceError('rate_limited', sourceId, message, { status, retryAfterMs: hint });
  if (status === 408 || status >= 500) return new SourceError('retryable', sourceId, message, { status, retryAfterMs: hint });
  if (TERMINAL_STATUSES.has(status)) return new SourceError('terminal', sourceId, message, { status, code: credentialCode(response.data) });
  return new SourceError('terminal', sourceId, `${message}; not a status this connector can act on`, { status });
}

/** A 2xx whose body was meant to be JSON but is not: usually a connection cut mid-body, so worth retrying. */
export function invalidJsonBody(sourceId: string, status: number): SourceError {
  return new SourceError('retryable', sourceId, `HTTP ${status} with a body that is not complete JSON (truncated or not JSON)`, {
    status,
  });
}

/** A 2xx body read as JSON; one that is not is `invalidJsonBody`. */
export function parseJsonBody(sourceId: string, status: number, body: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch {
    throw invalidJsonBody(sourceId, status);
  }
}

/**
 * Anything axios (or the code around it) threw, as a SourceError. Timeouts, resets and cut bodies are
 * retryable; a status error is classified by its status. The axios error is not kept as `cause`: it carries
 * the request config, Authorization header included.
 */
export function classifyRequestError(sourceId: string, error: unknown, options: ClassifyOptions = {}): SourceError {
  if (error instanceof SourceError) return error;
  if (!isAxiosError(error)) {
    const text = error instanceof Error ? `${error.name}: ${clean(error.message)}` : 'unknown error';
    return new SourceError('terminal', sourceId, `request failed: ${text}`);
  }
  const code = error.code ?? 'ERR_UNKNOWN';
  const response = error.response;
  // axios also reports a body cut mid-stream as ERR_BAD_RESPONSE with the (2xx) response attached.
  const cutBody = code === 'ERR_BAD_RESPONSE' && response !== undefined && response.status < 500;
  if (response && !cutBody) {
    return classifyStatus(sourceId, { status: response.status, headers: response.headers, data: response.data }, options);
  }
  const detail = `${code}: ${clean(error.message)}`;
  if (cutBody) return new SourceError('retryable', sourceId, `response body cut off (${detail})`, { status: response.status });
  if (code === 'ECONNABORTED' || code === 'ETIMEDOUT') {
    return new SourceError('retryable', sourceId, `request timed out (${detail})`, { status: response?.status });
  }
  if (RETRYABLE_CODES.has(code)) {
    return new SourceError('retryable', sourceId, `connection failed (${detail})`, { status: response?.status });
  }
  if (code === 'ENOTFOUND') {
    return new SourceError('terminal', sourceId, `vendor host not found, check base_url (${detail})`, { code: 'source.misconfigured' });
  }
  return new SourceError('terminal', sourceId, `request failed (${detail})`);
}
