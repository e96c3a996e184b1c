import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { SlackSettingsSchema } from '../../src/config/slack-settings.js';

interface Manifest {
  features: { app_home: { home_tab_enabled: boolean }; slash_commands: { command: string; url: string }[] };
  oauth_config: { scopes: { bot: string[] } };
  settings: { event_subscriptions: { request_url: string; bot_events: string[] }; interactivity: { is_enabled: boolean; request_url: string } };
}

describe('the Slack app manifest', () => {
  const manifest = parse(readFileSync(new URL('../../src/slack/manifest.yaml', import.meta.url), 'utf8')) as Manifest;

  it('declares the command, interactivity, the Home tab and the event the app listens for, all on /slack/events', () => {
    expect(manifest.features.slash_commands.map((command) => command.command)).toEqual([SlackSettingsSchema.parse({}).command]);
    expect(manifest.features.app_home.home_tab_enabled).toBe(true);
    expect(manifest.settings.interactivity.is_enabled).toBe(true);
    expect(manifest.settings.event_subscriptions.bot_events).toEqual(['app_home_opened']);
    const urls = [manifest.settings.interactivity.request_url, manifest.settings.event_subscriptions.request_url, ...manifest.features.slash_commands.map((command) => command.url)];
    for (const url of urls) expect(new URL(url).pathname).toBe('/slack/events');
  });

  it('asks for the scopes of every Web API method the app calls, and no more', () => {
    expect([...manifest.oauth_config.scopes.bot].sort()).toEqual(
      ['channels:history', 'channels:read', 'chat:write', 'commands', 'groups:history', 'groups:read', 'usergroups:read'].sort(),
    );
  });
});
