import type * as z from 'zod';
import { SourceError } from './source-error.js';

/** The first issue as `field: message`; `root` names an issue with the whole value. */
export function describeFirstIssue(error: z.ZodError, root = '(body)'): string {
  const issue = error.issues[0];
  return `${issue?.path.join('.') || root}: ${issue?.message ?? 'invalid'}`;
}

/** Every issue as `field: message`, joined by `; `. */
export function describeIssues(error: z.ZodError, root = '(body)'): string {
  return error.issues.map((issue) => `${issue.path.join('.') || root}: ${issue.message}`).join('; ');
}

/** A vendor body that is JSON but not the documented shape: terminal, naming the call and the bad field(s). */
export function parseBody<S extends z.ZodType>(
  sourceId: string,
  what: string,
  schema: S,
  body: unknown,
  describe: (error: z.ZodError) => string = describeFirstIssue,
): z.output<S> {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  throw new SourceError('terminal', sourceId, `${what} answered an unexpected body (${describe(parsed.error)})`);
}

/** Every item validated; a bad one is terminal with the vendor's `refusal` message, never a silent skip. */
export function parseEach<S extends z.ZodType>(
  sourceId: string,
  schema: S,
  items: readonly unknown[],
  refusal: (index: number, error: z.ZodError) => string,
): z.output<S>[] {
  return items.map((item, index) => {
    const parsed = schema.safeParse(item);
    if (parsed.success) return parsed.data;
    throw new SourceError('terminal', sourceId, refusal(index, parsed.error));
  });
}
