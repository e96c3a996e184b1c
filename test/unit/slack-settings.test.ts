import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/load.js';

const withYaml = (text: string) => {
  const path = join(mkdtempSync(join(tmpdir(), 'cw-slack-')), 'containment-watch.yaml');
  writeFileSync(path, text);
  return loadConfig({ CW_CONFIG: path });
};

describe('the slack: section of containment-watch.yaml', () => {
  it('defaults to incident-channel members, nobody to mention, one message per second per channel and /containment', () => {
    expect(loadConfig({}).file.slack).toEqual({
      authorized: { users: [], user_groups: [], incident_channel_members: true },
      escalation: { users: [], user_groups: [] },
      delivery: { channel_interval: '1s' },
      membership_cache: '60s',
      command: '/containment',
    });
  });

  it('stops start-up naming the field when an id or a key is wrong', () => {
    const problems = (text: string): string[] => {
      try {
        withYaml(text);
      } catch (error) {
        if (error instanceof ConfigError) return error.problems;
        throw error;
      }
      return [];
    };
    expect(problems('slack:\n  authorized:\n    users: [alice]\n')).toEqual([expect.stringMatching(/^slack\.authorized\.users\.0: must be a Slack user id/)]);
    expect(problems('slack:\n  escalation:\n    user_groups: [U0123ABC]\n')).toEqual([expect.stringMatching(/^slack\.escalation\.user_groups\.0: must be a Slack user group id/)]);
    expect(problems('slack:\n  delivery:\n    channel_interval: fast\n')).toEqual([expect.stringMatching(/^slack\.delivery\.channel_interval: must be a duration/)]);
    expect(problems('slack:\n  authorised: {}\n')).toHaveLength(1);
  });
});
