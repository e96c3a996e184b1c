import type { Closing, Watch } from '../../contracts/watch.js';

const MINUTE = 60_000;

/** "3 min", rounded up; "<1 min" under a minute. */
function minutesLeft(ms: number): string {
  return ms < MINUTE ? '<1 min' : `${Math.ceil(ms / MINUTE)} min`;
}

function joinNames(names: readonly string[]): string {
  if (names.length <= 1) return names.join('');
  return `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}

/**
 * "closing: waiting for mde-prod to catch up, 3 min": the sources not yet caught up past the window's end and how long
 * until the last of them should be (or, for one already overdue, until the close stops waiting for it).
 */
export function closingStatus(closing: Pick<Closing, 'sources'>, now: number): string {
  const waiting = closing.sources.filter((source) => !source.caught_up);
  if (waiting.length === 0) return 'closing: every source has caught up';
  const untilMs = Math.max(
    ...waiting.map((source) => {
      const expected = Date.parse(source.expected_at);
      const givesUp = Date.parse(source.gives_up_at);
      return expected > now ? Math.min(expected, givesUp) : givesUp;
    }),
  );
  return `closing: waiting for ${joinNames(waiting.map((source) => source.source))} to catch up, ${minutesLeft(Math.max(0, untilMs - now))}`;
}

/** What the wait came to, once the verdict is given: "closed: gave up waiting for mde-prod". */
export function closedStatus(closing: Pick<Closing, 'sources'>): string {
  const behind = closing.sources.filter((source) => !source.caught_up).map((source) => source.source);
  return behind.length === 0 ? 'closed: every source caught up' : `closed: gave up waiting for ${joinNames(behind)}`;
}

/** The close's wait, while it is one: not once the watch is closed, nor after an extension reopened the window. */
export function activeClosing(watch: Pick<Watch, 'state' | 'expires_at' | 'closing'>): Closing | undefined {
  return watch.state !== 'closed' && watch.closing?.window_end === watch.expires_at ? watch.closing : undefined;
}
