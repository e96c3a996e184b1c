import { ApiErrorNameSchema, HTTP_ANSWER } from '../../src/api/errors.js';
import { FAILURE_SUMMARY, FailureCodeSchema } from '../../src/lib/failure.js';
import { ERROR_GUIDANCE } from './error-guidance.js';
import { GENERATED_NOTICE, table } from './markdown.js';

export const ERRORS_DOC = new URL('../../docs/errors.md', import.meta.url);

/** Source and Slack failures happen in workers; the API never answers with them. */
const reachesClients = (code: string) => !code.startsWith('source.') && !code.startsWith('slack.');

export function renderErrors(): string {
  const rows = FailureCodeSchema.options.map((code) => {
    const { status, error } = HTTP_ANSWER[code];
    const http = reachesClients(code) ? `${status} \`${error}\`` : '—';
    return [`\`${code}\``, ERROR_GUIDANCE[code].retry, http, FAILURE_SUMMARY[code], ERROR_GUIDANCE[code].what];
  });
  return [
    '# Errors',
    '',
    GENERATED_NOTICE('npm run docs:errors', '`src/lib/failure.ts`, `src/api/errors.ts` and `scripts/docs/error-guidance.ts`'),
    '',
    'Every operational error carries a stable `code` and a retry class: `retryable` (try again with backoff),',
    '`rate_limited` (wait the delay the other side asked for), `terminal` (retrying cannot help; someone must act).',
    'The API answers every error as `{"error", "code", "retry", "message", "issues"?}` with the status below and,',
    'when it asks for a wait, `Retry-After`. Workers map the same classes onto BullMQ in one place: terminal fails',
    "the job for good, rate limited holds back that source's poll shard queue for the vendor's delay, retryable is retried",
    'with backoff.',
    '',
    `\`error\` is the coarse name the API has always answered with (${ApiErrorNameSchema.options.map((name) => `\`${name}\``).join(', ')}):`,
    'playbooks that branch on it keep working; `code` is the finer one below. The "status message" column is how the',
    'code reads on the watch\'s Slack status message and in `/readyz` (`⛔ mde-prod: credentials rejected since 09:12 UTC`).',
    '',
    table(['code', 'retry class', 'HTTP', 'status message', 'what you see / do'], rows),
    '',
    "Source and Slack codes never reach an API client (they would be a 502 `upstream_failed`); they are in the logs",
    "(`code`), the watch's coverage and the status message.",
  ].join('\n');
}
