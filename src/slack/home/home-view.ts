import type { types } from '@slack/bolt';
import type { WatchView } from '../../contracts/watch.js';
import { context, divider, freshBlockIds, header, section, type Block } from '../render/block-kit.js';
import { formatUtc } from '../../report/text/time.js';
import { watchSummary } from '../messages/watch-summary.js';

/** A Home tab holds 100 blocks: two per watch plus the header lines. */
const SHOWN = 45;

/** The incident commander's board: every active watch, soonest to end first. */
export function homeView(views: readonly WatchView[], now: number): types.HomeView {
  const blocks: Block[] = [
    header('home:header', '🛡️ Containment watches'),
    context('home:meta', [`${views.length} active · updated ${formatUtc(new Date(now).toISOString())} · \`/containment help\` for commands`]),
  ];
  if (views.length === 0) {
    blocks.push(section('home:empty', 'No active watches. A watch opens when your SOAR calls the webhook after a block.'));
  }
  const ordered = [...views].sort((a, b) => Date.parse(a.expires_at) - Date.parse(b.expires_at));
  ordered.slice(0, SHOWN).forEach((view) => blocks.push(divider(), section(`home:${view.id}`, watchSummary(view, now))));
  if (ordered.length > SHOWN) blocks.push(context('home:more', [`… and ${ordered.length - SHOWN} more: \`/containment list\``]));
  return { type: 'home', blocks: freshBlockIds(blocks) };
}
