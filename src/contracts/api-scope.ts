import * as z from 'zod';

/**
 * What an API caller may do. `open`: POST /v1/containments. `read`: every GET under /v1 (watches, findings,
 * reports, allow-rules). `operate`: extend or stop a watch, delete an allow-rule. A dashboard gets `read` alone; a
 * SOAR that only opens watches gets `open` alone.
 */
export const ApiScopeSchema = z.enum(['open', 'read', 'operate']);
export type ApiScope = z.infer<typeof ApiScopeSchema>;

export const ALL_API_SCOPES: readonly ApiScope[] = ApiScopeSchema.options;

/** A bearer token from WEBHOOK_TOKENS: the caller's name (for the audit trail) and what it may do. */
export const ApiTokenSchema = z.object({
  name: z.string(),
  token: z.string(),
  scopes: z.array(ApiScopeSchema).readonly(),
  /** False when the entry listed no scopes and so got every one. */
  scoped: z.boolean(),
});
export type ApiToken = z.infer<typeof ApiTokenSchema>;
