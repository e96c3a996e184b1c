import type { Watch } from '../contracts/watch.js';
import type { SlackMembership } from './membership.js';
import type { SlackAuthorization } from '../config/slack-settings.js';

export type AuthorizationResult = { allowed: true; via: 'user' | 'user_group' | 'incident_channel' } | { allowed: false };

/**
 * Decides whether a Slack user may change a watch (see `SlackAuthorizationSchema`). The incident channel is the one
 * the webhook named, else the default channel the watch posts to.
 */
export class SlackAuthorizer {
  constructor(
    private readonly options: { settings: SlackAuthorization; membership: SlackMembership; defaultChannel?: string | undefined },
  ) {}

  async check(userId: string, watch: Pick<Watch, 'slack_channel'>): Promise<AuthorizationResult> {
    const { settings, membership } = this.options;
    if (settings.users.includes(userId)) return { allowed: true, via: 'user' };
    for (const group of settings.user_groups) {
      if (await membership.isMember('usergroup', group, userId)) return { allowed: true, via: 'user_group' };
    }
    const channel = this.incidentChannel(watch);
    if (settings.incident_channel_members && channel !== undefined && (await membership.isMember('channel', channel, userId))) {
      return { allowed: true, via: 'incident_channel' };
    }
    return { allowed: false };
  }

  incidentChannel(watch: Pick<Watch, 'slack_channel'>): string | undefined {
    return watch.slack_channel ?? this.options.defaultChannel;
  }

  /** Who may act, in words, for the refusal: it tells the person whom to ask. */
  describe(watch: Pick<Watch, 'slack_channel'>): { channel?: string; users: readonly string[]; userGroups: readonly string[] } {
    const { settings } = this.options;
    const channel = settings.incident_channel_members ? this.incidentChannel(watch) : undefined;
    return { ...(channel === undefined ? {} : { channel }), users: settings.users, userGroups: settings.user_groups };
  }
}
