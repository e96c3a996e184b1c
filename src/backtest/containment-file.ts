import { readFile } from 'node:fs/promises';
import { issuesOf } from '../contracts/field-issues.js';
import { ContainmentRequestSchema } from '../contracts/containment-request.js';
import { InputError } from './input-error.js';
import type { BacktestRequest } from './watch-of.js';

/**
 * The `--containment` file: the webhook's JSON body, validated by the same schema. Problems are named by field, as
 * the webhook's 400 names them; `blocked_at` is required, since there is no "now" in a recording.
 */
export async function readContainmentRequest(path: string): Promise<BacktestRequest> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new InputError(path, `cannot read the containment request: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  let body: unknown;
  try {
    body = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new InputError(path, `the containment request is not valid JSON (${(error as Error).message})`);
  }
  const parsed = ContainmentRequestSchema.safeParse(body);
  const issues = parsed.success ? [] : issuesOf(parsed.error);
  if (parsed.success && parsed.data.blocked_at === undefined) {
    issues.push({ path: 'blocked_at', message: 'is required for a backtest (when the SOAR blocked the indicator)' });
  }
  if (!parsed.success || parsed.data.blocked_at === undefined) {
    throw new InputError(path, `invalid containment request: ${issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ')}`);
  }
  return { ...parsed.data, blocked_at: parsed.data.blocked_at };
}
