import type { App, RespondArguments } from '@slack/bolt';
import { formatDuration } from '../../contracts/duration.js';
import type { WatchView } from '../../contracts/watch.js';
import { NO_PREVIEWS, type SlackMessage } from '../render/block-kit.js';
import { inlineCode } from '../../report/text/mrkdwn.js';
import { auditName } from '../actor.js';
import { parseCommand, type ParsedCommand } from '../command-parser.js';
import { helpReply, LISTED, listReply, statusReply } from '../messages/command-replies.js';
import { noActiveWatch, refusal, shortReply } from '../messages/replies.js';
import { SlashCommandSchema, type SlashCommandPayload } from '../payloads.js';
import { interactionKey } from './interaction-ledger.js';
import { actorOf, nowOf, precheck, takeIn } from './intake.js';
import type { SlackListenerDeps } from './listener-deps.js';

const ephemeral = (message: SlackMessage): RespondArguments => ({ response_type: 'ephemeral', text: message.text, blocks: message.blocks, ...NO_PREVIEWS });

async function activeViews(deps: SlackListenerDeps): Promise<WatchView[]> {
  return Promise.all((await deps.store.list('active')).map((watch) => deps.views.build(watch)));
}

/** `status`: the named incident's watch (the active one, else its latest), or this channel's, else the list. */
async function status(deps: SlackListenerDeps, incident: string | undefined, channelId: string): Promise<SlackMessage> {
  const now = nowOf(deps);
  if (incident === undefined) {
    const views = await activeViews(deps);
    const here = views.find((view) => view.slack_channel === channelId);
    return here === undefined ? listReply(views, now, await deps.store.countActive()) : statusReply(here, now);
  }
  const watch =
    (await deps.store.activeWatchOfIncident(incident)) ??
    (await deps.store.latestWatchOfIncident(incident)) ??
    (await deps.store.list('all')).find((candidate) => candidate.incident_id === incident);
  return watch === undefined ? shortReply(`There is no watch for ${inlineCode(incident, 130)}.`) : statusReply(await deps.views.build(watch), now);
}

/** `extend` and `stop`: checked and queued here, done by a worker, answered through the command's response_url. */
async function change(deps: SlackListenerDeps, command: Extract<ParsedCommand, { kind: 'extend' | 'stop' }>, payload: SlashCommandPayload): Promise<SlackMessage> {
  const watch = await deps.store.activeWatchOfIncident(command.incident);
  if (watch === undefined) return noActiveWatch(command.incident);
  if ((await precheck(deps, payload.user_id, watch)) === 'refused') return refusal(command.kind, watch, deps.authorizer.describe(watch));
  const actor = actorOf({ id: payload.user_id, username: payload.user_name });
  const common = {
    ref: interactionKey('command', payload.trigger_id),
    at: new Date(nowOf(deps)).toISOString(),
    actor,
    reply: { user_id: payload.user_id, channel_id: payload.channel_id, response_url: payload.response_url },
    watch_id: watch.id,
  };
  if (command.kind === 'extend') {
    await takeIn(deps, { ...common, kind: 'extend', by_ms: command.byMs });
    return shortReply(`⏳ Extending the watch of ${inlineCode(watch.incident_id, 130)} by ${formatDuration(command.byMs)}…`);
  }
  await takeIn(deps, { ...common, kind: 'stop', reason: command.reason ?? `stopped from Slack by ${auditName(actor)}` });
  return shortReply(`⏳ Stopping the watch of ${inlineCode(watch.incident_id, 130)}…`);
}

async function answer(deps: SlackListenerDeps, payload: SlashCommandPayload): Promise<SlackMessage> {
  const command = parseCommand(payload.text);
  switch (command.kind) {
    case 'help':
      return helpReply(deps.settings.command);
    case 'error':
      return shortReply(`${command.message}\nEverything \`${deps.settings.command}\` can do: \`${deps.settings.command} help\`.`);
    case 'list': {
      // Soonest to end first; the count is every active watch, not only those shown.
      const [watches, total] = await Promise.all([deps.store.list('active', LISTED), deps.store.countActive()]);
      return listReply(await Promise.all(watches.map((watch) => deps.views.build(watch))), nowOf(deps), total);
    }
    case 'status':
      return status(deps, command.incident, payload.channel_id);
    case 'extend':
    case 'stop':
      return change(deps, command, payload);
  }
}

/** `/containment`: every answer is ephemeral (it concerns the person asking); changes are announced in the thread. */
export function registerCommandListener(app: App, deps: SlackListenerDeps): void {
  app.command(deps.settings.command, async ({ body, ack }) => {
    const payload = SlashCommandSchema.safeParse(body);
    if (!payload.success) {
      await ack(ephemeral(shortReply('That command arrived incomplete; please try again.')));
      return;
    }
    await ack(ephemeral(await answer(deps, payload.data)));
  });
}
