import * as z from 'zod';

/**
 * The parts of Slack's interaction payloads the product reads. Bolt has verified the signature; these schemas
 * still check the shape, so a handler never trusts a field that is not there.
 */

const UserSchema = z.object({ id: z.string().min(1), username: z.string().optional(), name: z.string().optional() });

export const BlockActionsSchema = z.object({
  type: z.literal('block_actions'),
  user: UserSchema,
  channel: z.object({ id: z.string() }).optional(),
  trigger_id: z.string().min(1),
  response_url: z.string().optional(),
  actions: z.array(z.object({ action_id: z.string(), value: z.string().optional(), action_ts: z.string() })).min(1),
});
export type BlockActionsPayload = z.infer<typeof BlockActionsSchema>;

const ViewValueSchema = z.object({
  type: z.string(),
  value: z.string().nullish(),
  selected_option: z.object({ value: z.string() }).nullish(),
});

export const ViewSubmissionSchema = z.object({
  type: z.literal('view_submission'),
  user: UserSchema,
  view: z.object({
    id: z.string().min(1),
    callback_id: z.string(),
    private_metadata: z.string().default(''),
    state: z.object({ values: z.record(z.string(), z.record(z.string(), ViewValueSchema)) }),
  }),
});
export type ViewSubmissionPayload = z.infer<typeof ViewSubmissionSchema>;

export const SlashCommandSchema = z.object({
  command: z.string(),
  text: z.string().default(''),
  user_id: z.string().min(1),
  user_name: z.string().optional(),
  channel_id: z.string().min(1),
  response_url: z.string().min(1),
  trigger_id: z.string().min(1),
});
export type SlashCommandPayload = z.infer<typeof SlashCommandSchema>;

/** The value a modal input holds: the typed text, or the chosen option. */
export function inputValue(payload: ViewSubmissionPayload, blockId: string): string | undefined {
  const block = payload.view.state.values[blockId];
  const element = block === undefined ? undefined : Object.values(block)[0];
  return element?.selected_option?.value ?? element?.value ?? undefined;
}
