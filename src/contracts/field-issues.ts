import * as z from 'zod';

/** One refused field of a request or a file: its path (`hosts.0.ip`, `(body)` for the whole) and why. */
export const FieldIssueSchema = z.object({ path: z.string(), message: z.string() });
export type FieldIssue = z.infer<typeof FieldIssueSchema>;

const pathOf = (path: readonly PropertyKey[]) => (path.length === 0 ? '(body)' : path.map((part) => (String(part) === '' ? '""' : String(part))).join('.'));

/** One issue per offending field; an unknown key is named by its own path, not its parent's. */
export const issuesOf = (error: z.ZodError): FieldIssue[] =>
  error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ path: pathOf([...issue.path, key]), message: 'unknown field' }))
      : [{ path: pathOf(issue.path), message: issue.message }],
  );
