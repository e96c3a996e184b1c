import { describe, expect, it } from 'vitest';
import { parseCommand } from '../../src/slack/command-parser.js';

describe('/containment parsing', () => {
  it('reads every command a responder can type', () => {
    expect(parseCommand('')).toEqual({ kind: 'help' });
    expect(parseCommand('  HELP ')).toEqual({ kind: 'help' });
    expect(parseCommand('list')).toEqual({ kind: 'list' });
    expect(parseCommand('status')).toEqual({ kind: 'status' });
    expect(parseCommand('status INC-2041')).toEqual({ kind: 'status', incident: 'INC-2041' });
    expect(parseCommand('extend INC-2041 12h')).toEqual({ kind: 'extend', incident: 'INC-2041', byMs: 12 * 3_600_000 });
    expect(parseCommand('extend   INC-2041   90m')).toEqual({ kind: 'extend', incident: 'INC-2041', byMs: 90 * 60_000 });
    expect(parseCommand('stop INC-2041')).toEqual({ kind: 'stop', incident: 'INC-2041' });
    expect(parseCommand('stop INC-2041 host   reimaged\tand back')).toEqual({ kind: 'stop', incident: 'INC-2041', reason: 'host reimaged and back' });
  });

  it('says what was wrong, with the right form, and never echoes what was typed unescaped', () => {
    const error = (text: string) => {
      const parsed = parseCommand(text);
      expect(parsed.kind).toBe('error');
      return parsed.kind === 'error' ? parsed.message : '';
    };
    expect(error('extend INC-2041')).toMatch(/`\/containment extend INC-2041 12h`/);
    expect(error('extend INC-2041 soon')).toMatch(/not a duration.*90m, 12h or 2d/);
    expect(error('extend INC-2041 31d')).toMatch(/out of range: extend by 1m to 30d/);
    expect(error('extend INC-2041 30s')).toMatch(/out of range/);
    expect(error('stop')).toMatch(/Name the incident to stop/);
    expect(error('list everything')).toMatch(/takes nothing after it/);
    expect(error('status A B')).toMatch(/one incident at most/);
    expect(error(`status ${'X'.repeat(129)}`)).toMatch(/at most 128 characters/);
    const hostile = error('<!channel> now');
    expect(hostile).toContain('`&lt;!channel&gt;`');
    expect(hostile).not.toMatch(/<!channel>/);
    expect(error('extend INC-1 <https://x|click>')).not.toMatch(/<https/);
  });
});
