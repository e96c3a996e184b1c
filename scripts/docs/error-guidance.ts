import type { FailureCode, RetryClass } from '../../src/lib/failure.js';

interface Guidance {
  /** The retry class the code is raised with. */
  retry: RetryClass;
  /** What an operator sees and what to do about it. */
  what: string;
}

/** One entry per failure code: a new code does not compile (nor pass the docs test) until it says what to do. */
export const ERROR_GUIDANCE: Readonly<Record<FailureCode, Guidance>> = {
  'source.credentials_rejected': {
    retry: 'terminal',
    what:
      "A 401, or the token endpoint's `invalid_client`/`invalid_grant`: the source's polling is paused, re-probed every `reprobe` (5 min) and resumed by itself once it works; the status message shows `⛔ mde-prod: credentials rejected since 09:12 UTC`, `/readyz` lists it. Renew or fix the secret.",
  },
  'source.forbidden': { retry: 'terminal', what: "A 403: paused as above. Grant the app the permission the source's page lists ([sources/](sources/README.md))." },
  'source.query_rejected': { retry: 'terminal', what: 'A 400/404/422 to a query: paused as above. Usually a wrong `base_url`, index or tenant.' },
  'source.bad_response': {
    retry: 'terminal',
    what: 'A body that is not what the vendor documents, or paging that does not advance: paused as above; report it with the log line.',
  },
  'source.misconfigured': { retry: 'terminal', what: "The vendor host does not resolve, or the source cannot do what was asked: fix the source's entry." },
  'source.rate_limited': {
    retry: 'rate_limited',
    what: "A 429 (or the vendor's throttle) the request's own retries did not absorb: that source's poll shard queue waits the `Retry-After` (30 s if none), other sources keep polling; the watch shows a gap.",
  },
  'source.unavailable': {
    retry: 'retryable',
    what:
      "5xx, timeouts, resets, cut bodies: the poll shard is retried twice (1 s, then 2 s, each at most a quarter of the poll interval, so the retries fit in the tick; no tick starts while a shard of the previous one waits, and the per-watch poll lease keeps two reads of a watch from overlapping), then the next tick tries; the watch shows a gap.",
  },
  'slack.channel_not_found': {
    retry: 'terminal',
    what: 'Messages go to `SLACK_DEFAULT_CHANNEL`, with the reason on the status message; without one the delivery fails. Check the channel id.',
  },
  'slack.not_in_channel': { retry: 'terminal', what: 'As `slack.channel_not_found`. Invite the bot to the channel.' },
  'slack.no_channel': { retry: 'terminal', what: 'The watch has no `slack_channel` and no default channel is set: set `SLACK_DEFAULT_CHANNEL` or `defaults.slack_channel`.' },
  'slack.credentials_rejected': { retry: 'terminal', what: '`invalid_auth`, `token_revoked`...: fix `SLACK_BOT_TOKEN`.' },
  'slack.rejected': { retry: 'terminal', what: 'Slack refused the message (e.g. `invalid_blocks`): report it.' },
  'slack.rate_limited': { retry: 'rate_limited', what: "The channel is held for Slack's `Retry-After`; deliveries retry with backoff for about a week, nothing is dropped." },
  'slack.unavailable': { retry: 'retryable', what: 'Deliveries retry with backoff for about a week; nothing is dropped.' },
  'redis.unavailable': {
    retry: 'retryable',
    what: 'Redis unreachable, reconnecting or gone mid-request, or no answer within the 5 s deadline: retry after `Retry-After` with the same `action_id` or `Idempotency-Key`; nothing was half-written.',
  },
  'watch.not_found': { retry: 'terminal', what: 'No watch with that id.' },
  'watch.closed': { retry: 'terminal', what: 'Extend or stop of a closed watch.' },
  'watch.request_rejected': {
    retry: 'terminal',
    what: 'A request the product cannot honour (e.g. an unknown source); answered as `request.invalid` with `issues`.',
  },
  'request.invalid': { retry: 'terminal', what: 'Fix the request; `issues` names each field.' },
  'request.invalid_json': { retry: 'terminal', what: 'The body is not JSON (or not UTF-8): fix the request.' },
  'request.unauthorized': {
    retry: 'terminal',
    what: 'Bad or missing bearer token or signature, a timestamp more than 300 s away, a `v1` signature where only `v2` is accepted.',
  },
  'request.replayed': { retry: 'terminal', what: 'A signature already accepted once: sign the request afresh (a new timestamp).' },
  'request.forbidden': { retry: 'terminal', what: 'The token lacks the scope the endpoint needs; the message names both.' },
  'request.not_found': { retry: 'terminal', what: 'No such route or allow-rule.' },
  'request.too_large': { retry: 'terminal', what: 'The body is over 256 KiB.' },
  'request.unsupported_media_type': {
    retry: 'terminal',
    what: 'Not JSON, or a `Content-Encoding` other than gzip, deflate or br.',
  },
  'request.rate_limited': { retry: 'rate_limited', what: 'More than `WEBHOOK_RATE_LIMIT_PER_MINUTE` calls: wait `Retry-After`.' },
  internal: { retry: 'retryable', what: 'A defect: the log has the stack.' },
};
