import { formatDuration, parseDuration } from '../contracts/duration.js';
import { escapeMrkdwn, inlineCode } from '../report/text/mrkdwn.js';

/** Extend accepts what the API's extend accepts. */
export const EXTEND_MIN_MS = 60_000;
export const EXTEND_MAX_MS = 30 * 86_400_000;

export type ParsedCommand =
  | { kind: 'help' }
  | { kind: 'list' }
  | { kind: 'status'; incident?: string }
  | { kind: 'extend'; incident: string; byMs: number }
  | { kind: 'stop'; incident: string; reason?: string }
  | { kind: 'error'; message: string };

const INCIDENT = /^[^\s]{1,128}$/;

/** Checks a duration a responder typed; the error (plain text) says what was wrong and what would work. */
export function parseExtension(text: string): { byMs: number } | { error: string } {
  const ms = parseDuration(text);
  if (ms === undefined) return { error: `"${text.slice(0, 40)}" is not a duration: use a number and a unit, such as 90m, 12h or 2d.` };
  if (ms < EXTEND_MIN_MS || ms > EXTEND_MAX_MS) {
    return { error: `${text.slice(0, 40)} is out of range: extend by ${formatDuration(EXTEND_MIN_MS)} to ${formatDuration(EXTEND_MAX_MS)}.` };
  }
  return { byMs: ms };
}

/** Parses the text after `/containment`. Every error names what was wrong and shows the right form. */
export function parseCommand(text: string): ParsedCommand {
  const words = text.trim().split(/\s+/).filter(Boolean);
  const [verb, ...rest] = words;
  switch (verb?.toLowerCase()) {
    case undefined:
    case 'help':
      return { kind: 'help' };
    case 'list':
      return rest.length === 0 ? { kind: 'list' } : { kind: 'error', message: '`list` takes nothing after it: `/containment list`.' };
    case 'status': {
      if (rest.length > 1) return { kind: 'error', message: 'Give one incident at most: `/containment status INC-2041`.' };
      const [incident] = rest;
      return incident === undefined ? { kind: 'status' } : checkIncident(incident, (id) => ({ kind: 'status', incident: id }));
    }
    case 'extend': {
      const [incident, duration, ...extra] = rest;
      if (incident === undefined || duration === undefined || extra.length > 0) {
        return { kind: 'error', message: 'Name the incident and the duration: `/containment extend INC-2041 12h`.' };
      }
      const extension = parseExtension(duration);
      if ('error' in extension) return { kind: 'error', message: escapeMrkdwn(extension.error) };
      return checkIncident(incident, (id) => ({ kind: 'extend', incident: id, byMs: extension.byMs }));
    }
    case 'stop': {
      const [incident, ...reason] = rest;
      if (incident === undefined) return { kind: 'error', message: 'Name the incident to stop: `/containment stop INC-2041 host reimaged`.' };
      const why = reason.join(' ').trim();
      return checkIncident(incident, (id) => (why === '' ? { kind: 'stop', incident: id } : { kind: 'stop', incident: id, reason: why.slice(0, 500) }));
    }
    default:
      return { kind: 'error', message: `I don't know ${inlineCode(verb ?? '', 40)}. Try \`/containment help\`.` };
  }
}

function checkIncident(incident: string, make: (id: string) => ParsedCommand): ParsedCommand {
  if (!INCIDENT.test(incident)) return { kind: 'error', message: 'An incident id is one word of at most 128 characters, such as INC-2041.' };
  return make(incident);
}
