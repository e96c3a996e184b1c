import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { codeBlock, escapeMrkdwn, inlineCode, joinCapped, joinLines, plainText, truncateEscaped } from '../../src/report/text/mrkdwn.js';
import { escapeTerminal } from '../../src/report/text/terminal.js';
import { formatDurationShort, formatRelative, formatTimeLeft, formatUtc } from '../../src/report/text/time.js';

const FULLWIDTH_AT = '\uff20';

describe('escaping telemetry for Slack mrkdwn', () => {
  it.each([
    ['a process named <!channel> cannot ping the channel', '<!channel>', '&lt;!channel&gt;'],
    ['a user mention stays text', '<@U123ABC>', '&lt;@U123ABC&gt;'],
    ['a disguised link stays text', '<https://x.example|click>', '&lt;https://x.example|click&gt;'],
    ['an already escaped entity is escaped again, so it shows literally', '&lt;', '&amp;lt;'],
    ['bare @here gets a full-width at sign', 'ping @here now', `ping ${FULLWIDTH_AT}here now`],
    ['bare @channel in any case gets a full-width at sign', '@Channel', `${FULLWIDTH_AT}Channel`],
    ['@everyone gets a full-width at sign', '@everyone', `${FULLWIDTH_AT}everyone`],
    ['an email address is left alone', 'alice@corp.example', 'alice@corp.example'],
    ['bold markers cannot bold', '*urgent*', '\u2217urgent\u2217'],
    ['italic and strike markers cannot format', '_a_ ~b~', '\u02cda\u02cd \u223cb\u223c'],
    ['a backtick cannot open a code span', 'x`y', 'x\u02cby'],
    ['an ANSI escape is neutralised', '\u001b[31mred', '\ufffd[31mred'],
    ['line breaks become spaces', 'a\r\nb', 'a  b'],
    ['a right-to-left override cannot disguise an extension, and shows', 'invoice\u202efdp.exe', 'invoice[U+202E]fdp.exe'],
    ['a zero-width space shows where it hides', 'evil\u200b.example', 'evil[U+200B].example'],
    ['a soft hyphen and a byte-order mark show', 'a\u00adb\ufeffc', 'a[U+00AD]b[U+FEFF]c'],
    ['a lone surrogate becomes the replacement character', 'x\ud800y', 'x\ufffdy'],
    ['an emoji shortcode stays text', 'ok :white_check_mark: :+1:', 'ok \u2236white\u02cdcheck\u02cdmark\u2236 \u2236+1\u2236'],
    ['overlapping shortcodes all stay text', ':skull:skull:', '\u2236skull\u2236skull\u2236'],
    ['a colon that starts no shortcode stays', 'C:\\x at 10:42 or a:b', 'C:\\x at 10:42 or a:b'],
  ])('%s', (_story, input, expected) => {
    expect(escapeMrkdwn(input)).toBe(expected);
  });

  it('keeps paths exact inside inline code, where Slack applies no formatting', () => {
    expect(inlineCode('C:\\svc_host\\tool_v2*.exe')).toBe('`C:\\svc_host\\tool_v2*.exe`');
    expect(inlineCode('powershell -c "I`EX <x>"')).toBe('`powershell -c "I\u02cbEX &lt;x&gt;"`');
    expect(inlineCode('@here')).toBe(`\`${FULLWIDTH_AT}here\``);
    expect(inlineCode(':skull: zero\u200bwidth')).toBe('`\u2236skull\u2236 zero[U+200B]width`');
    expect(codeBlock('run :skull:\u2060')).toBe('```run \u2236skull\u2236[U+2060]```');
    expect(inlineCode('')).toBe('(empty)');
  });

  it('an IPv6 address is shown exactly, its hex groups not taken for shortcodes; the same groups in free text are', () => {
    expect(inlineCode('2001:db8:0:ab::1')).toBe('`2001:db8:0:ab::1`');
    expect(escapeMrkdwn('2001:db8:0:ab::1')).toBe('2001:db8:0:ab::1');
    expect(escapeMrkdwn('see :ab:')).toBe('see \u2236ab\u2236');
  });

  it('keeps headers free of entities and mentions', () => {
    expect(plainText('INC <!here> & co')).toBe('INC \u2039!here\u203a \uff06 co');
    expect(plainText('x'.repeat(200)).length).toBeLessThanOrEqual(150);
    expect(plainText('INC :skull: \u200d@here')).toBe('INC \u2236skull\u2236 [U+200D]\uff20here');
  });
});

describe('truncating escaped text', () => {
  it('leaves short text whole', () => {
    expect(truncateEscaped('rundll32.exe', 100)).toBe('rundll32.exe');
  });

  it('marks the cut visibly with the number of characters left out', () => {
    const result = truncateEscaped('a'.repeat(1_000), 100);
    expect(result.length).toBeLessThanOrEqual(100);
    expect(result).toMatch(/… \(truncated, \d+ more characters\)$/);
    const omitted = Number(/truncated, (\d+) more/.exec(result)?.[1]);
    expect(result.slice(0, result.indexOf('…')).length + omitted).toBe(1_000);
  });

  it('never cuts an entity in half', () => {
    for (let max = 40; max < 90; max++) {
      const result = truncateEscaped('&'.repeat(200), max);
      const body = result.slice(0, result.indexOf('…'));
      expect(body).toMatch(/^(?:&amp;)*$/);
      expect(result.length).toBeLessThanOrEqual(max);
    }
  });

  it('never cuts the label of a hidden character in half', () => {
    for (let max = 40; max < 90; max++) {
      const result = inlineCode('\u200b'.repeat(200), max);
      expect(result).toMatch(/^`(?:\[U\+200B\])*`… \(truncated, \d+ more characters\)$/);
      expect(result.length).toBeLessThanOrEqual(max);
    }
  });

  it('never splits an emoji', () => {
    const result = truncateEscaped('😀'.repeat(100), 60);
    expect(result.slice(0, result.indexOf('…'))).toMatch(/^(?:😀)*$/u);
  });

  it('puts the marker outside a code span or block', () => {
    const span = inlineCode('x'.repeat(500), 100);
    expect(span).toMatch(/^`x+`… \(truncated, \d+ more characters\)$/);
    expect(span.length).toBeLessThanOrEqual(100);
    const block = codeBlock('y'.repeat(5_000), 1_500);
    expect(block).toMatch(/^```y+```… \(truncated, \d+ more characters\)$/);
    expect(block.length).toBeLessThanOrEqual(1_500);
  });

  it('escaped output never contains < or > and stays within its limit, whatever the input', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 400 }), fc.integer({ min: 40, max: 500 }), (input, max) => {
        for (const output of [escapeMrkdwn(input), truncateEscaped(input, max), inlineCode(input, max), codeBlock(input, max)]) {
          expect(output).not.toMatch(/[<>]/);
          expect(output).not.toMatch(/@(?:here|channel|everyone)/i);
        }
        expect(truncateEscaped(input, max).length).toBeLessThanOrEqual(max);
        expect(inlineCode(input, max).length).toBeLessThanOrEqual(max);
      }),
    );
  });

  it('escaping never leaves a bare ampersand that Slack could read as an entity', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (input) => {
        expect(escapeMrkdwn(input)).not.toMatch(/&(?!amp;|lt;|gt;)/);
      }),
    );
  });
});

describe('joining lines and lists within a budget', () => {
  it('summarises the lines that do not fit', () => {
    const lines = Array.from({ length: 100 }, (_, i) => `line ${i} ${'x'.repeat(40)}`);
    const joined = joinLines(lines, 500, 'hosts');
    expect(joined.length).toBeLessThanOrEqual(500);
    expect(joined).toMatch(/… and \d+ more hosts$/);
  });

  it('ends a capped list with "and N more"', () => {
    const items = Array.from({ length: 500 }, (_, i) => `FIN-WS-${i}`);
    const joined = joinCapped(items, 200);
    expect(joined.length).toBeLessThanOrEqual(200);
    const shown = joined.split(', ').length - 1;
    expect(joined).toMatch(new RegExp(`and ${500 - shown} more$`));
  });
});

describe('terminal escaping', () => {
  it('shows control characters instead of interpreting them', () => {
    expect(escapeTerminal('evil\u001b]0;pwned\u0007.exe')).toBe('evil\\x1b]0;pwned\\x07.exe');
    expect(escapeTerminal('a\u202eb')).toBe('a\\u202eb');
    expect(escapeTerminal('C:\\Temp\\ok.exe')).toBe('C:\\Temp\\ok.exe');
  });
});

describe('time formatting', () => {
  const now = Date.parse('2026-11-27T10:00:00Z');

  it('formats durations as their two largest units', () => {
    expect(formatDurationShort(83_520_000)).toBe('23h 12m');
    expect(formatDurationShort(90_000)).toBe('1m 30s');
    expect(formatDurationShort(86_400_000 + 3_600_000)).toBe('1d 1h');
    expect(formatDurationShort(3_600_000)).toBe('1h');
    expect(formatDurationShort(0)).toBe('0s');
  });

  it('says how long a watch has left, to the minute', () => {
    expect(formatTimeLeft('2026-11-28T09:12:40Z', now)).toBe('23h 12m left');
    expect(formatTimeLeft('2026-11-27T10:00:30Z', now)).toBe('<1m left');
    expect(formatTimeLeft('2026-11-27T09:00:00Z', now)).toBe('ended');
  });

  it('says how long ago something happened', () => {
    expect(formatRelative('2026-11-27T09:57:00Z', now)).toBe('3m ago');
    expect(formatRelative('2026-11-27T10:00:02Z', now)).toBe('just now');
    expect(formatRelative('2026-11-27T10:04:00Z', now)).toBe('in 4m');
    expect(formatUtc('2026-11-27T10:00:00.123Z')).toBe('2026-11-27 10:00:00 UTC');
  });
});
