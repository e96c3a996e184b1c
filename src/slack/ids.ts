import * as z from 'zod';

/** `action_id`s of the buttons the product puts on its messages. */
export const ACTION = {
  acknowledge: 'cw_acknowledge',
  markBenign: 'cw_mark_benign',
  escalate: 'cw_escalate',
  extend12h: 'cw_extend_12h',
  extend24h: 'cw_extend_24h',
  extendCustom: 'cw_extend_custom',
  stop: 'cw_stop',
} as const;

/** `callback_id`s of the product's modals. */
export const VIEW = {
  markBenign: 'cw_mark_benign_modal',
  extend: 'cw_extend_modal',
  stop: 'cw_stop_modal',
} as const;

/** Ids the product generates (`w-<uuid>`, 16 hex characters): nothing else is accepted from a button. */
const IdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,80}$/);
const ChannelIdSchema = z.string().regex(/^[CGD][A-Z0-9]{2,30}$/);

/** A button value: ids only (Slack caps values at 2000 characters, and a value must never carry telemetry). */
export const WatchRefSchema = z.strictObject({ watch_id: IdSchema });
export const FindingRefSchema = z.strictObject({ watch_id: IdSchema, finding_id: IdSchema });
export type WatchRef = z.infer<typeof WatchRefSchema>;
export type FindingRef = z.infer<typeof FindingRefSchema>;

/** What a modal carries from the button that opened it to its submission (`private_metadata`). */
export const ModalContextSchema = z.strictObject({
  watch_id: IdSchema,
  finding_id: IdSchema.optional(),
  /** The channel the button was clicked in, for the ephemeral answer. */
  channel_id: ChannelIdSchema.optional(),
});
export type ModalContext = z.infer<typeof ModalContextSchema>;

export const encodeValue = (value: WatchRef | FindingRef | ModalContext): string => JSON.stringify(value);

/** Parses a value this product wrote; undefined for anything else. */
export function decodeValue<T>(schema: z.ZodType<T>, text: string | undefined): T | undefined {
  if (text === undefined) return undefined;
  try {
    const parsed = schema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
