import type { FakeSlack, FakeSlackMessage } from '../fakes/fake-slack.js';

const blockIds = (message: FakeSlackMessage): string[] =>
  Array.isArray(message.blocks) ? message.blocks.map((block) => String((block as { block_id?: unknown }).block_id ?? '')) : [];

/** The finding id a Slack message was rendered for (block ids `finding:<id>[:part]`), if any. */
export const findingIdOf = (message: FakeSlackMessage): string | undefined =>
  blockIds(message).find((id) => id.startsWith('finding:'))?.split(':')[1];

/** What a responder sees in the channel: the status message, the finding replies, the verdict. */
export function channelStory(slack: FakeSlack, channel: string) {
  const messages = slack.messagesIn(channel);
  const statusMessages = messages.filter((message) => !message.thread_ts);
  const findingReplies = messages.filter((message) => message.thread_ts && findingIdOf(message) !== undefined);
  const verdicts = messages.filter((message) => message.thread_ts && message.reply_broadcast);
  const statusEdits = slack.updates().filter((call) => statusMessages.some((status) => status.ts === call.body.ts)).length;
  return { messages, statusMessages, findingReplies, verdicts, statusEdits };
}
