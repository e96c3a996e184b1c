import type { VendorErrorReader } from '../http/classify.js';

/** The text of splunkd's `{"messages":[{"type","text"}]}` envelope, every message joined. */
export function splunkMessages(body: unknown): string | undefined {
  let parsed = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch {
      return undefined;
    }
  }
  if (typeof parsed !== 'object' || parsed === null || !('messages' in parsed) || !Array.isArray(parsed.messages)) return undefined;
  const texts = parsed.messages.flatMap((message: unknown) =>
    typeof message === 'object' && message !== null && 'text' in message && typeof message.text === 'string' ? [message.text] : [],
  );
  return texts.length > 0 ? texts.join('; ') : undefined;
}

/** "Search not executed: The maximum number of concurrent historical searches ... has been reached." */
const CONCURRENCY_LIMIT = /maximum number of concurrent|concurrency_limit|search quota/i;

/**
 * splunkd's error envelope, and its throttle: a 503 saying the concurrent-search limit is reached is rate-limited
 * (wait for searches to finish), not an outage.
 */
export const splunkErrorReader: VendorErrorReader = ({ status, data }) => {
  const text = splunkMessages(data);
  if (text === undefined) return undefined;
  return { text, kind: status === 503 && CONCURRENCY_LIMIT.test(text) ? 'rate_limited' : undefined };
};
