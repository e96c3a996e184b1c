import { createHmac, randomUUID } from 'node:crypto';

/** The signing secret the tests' Slack app is configured with. */
export const SLACK_SIGNING_SECRET = 'slack-signing-secret-for-tests-0123';

export interface SlackResponse {
  status: number;
  /** The body Bolt answered with: empty for a plain ack, JSON for an ack with content. */
  body: unknown;
}

/**
 * Posts to `POST /slack/events` exactly as Slack does: the raw body signed with
 * `v0=HMAC-SHA256(secret, "v0:" + timestamp + ":" + body)`; `retryNum` adds Slack's retry headers.
 */
export async function postToSlackEndpoint(
  apiUrl: string,
  rawBody: string,
  contentType: string,
  options: { retryNum?: number; secret?: string; timestamp?: number } = {},
): Promise<SlackResponse> {
  const timestamp = String(options.timestamp ?? Math.floor(Date.now() / 1000));
  const signature = `v0=${createHmac('sha256', options.secret ?? SLACK_SIGNING_SECRET).update(`v0:${timestamp}:${rawBody}`).digest('hex')}`;
  const headers: Record<string, string> = {
    'Content-Type': contentType,
    'X-Slack-Request-Timestamp': timestamp,
    'X-Slack-Signature': signature,
  };
  if (options.retryNum !== undefined) {
    headers['X-Slack-Retry-Num'] = String(options.retryNum);
    headers['X-Slack-Retry-Reason'] = 'http_timeout';
  }
  const response = await fetch(`${apiUrl}/slack/events`, { method: 'POST', headers, body: rawBody });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = text === '' ? '' : JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: response.status, body };
}

/** An interactive payload (`payload=<json>`, form encoded), as Slack sends button clicks and modal submissions. */
export const sendInteraction = (apiUrl: string, payload: object, options: { retryNum?: number; secret?: string } = {}) =>
  postToSlackEndpoint(apiUrl, new URLSearchParams({ payload: JSON.stringify(payload) }).toString(), 'application/x-www-form-urlencoded', options);

export interface User {
  id: string;
  username: string;
}

/** A click on one of the product's buttons, with the ids-only value it was rendered with. */
export function buttonClick(options: { user: User; channel: string; actionId: string; value: string; triggerId?: string }) {
  return {
    type: 'block_actions',
    team: { id: 'T0TEST', domain: 'test' },
    user: { id: options.user.id, username: options.user.username, name: options.user.username, team_id: 'T0TEST' },
    api_app_id: 'A0TEST',
    token: 'legacy-verification-token',
    trigger_id: options.triggerId ?? `trigger-${randomUUID()}`,
    channel: { id: options.channel, name: 'incident' },
    container: { type: 'message', channel_id: options.channel, message_ts: '1.000001', is_ephemeral: false },
    message: { type: 'message', ts: '1.000001', text: '' },
    response_url: 'https://hooks.slack.invalid/actions/T0TEST/1/xyz',
    actions: [{ type: 'button', action_id: options.actionId, block_id: 'b', value: options.value, text: { type: 'plain_text', text: 'x' }, action_ts: `${Date.now() / 1000}` }],
  };
}

/** A modal submission: `values` maps block ids to the typed text or the chosen option. */
export function viewSubmission(options: {
  user: User;
  view: { callback_id: string; private_metadata: string; id?: string };
  values: Record<string, { text?: string; option?: string }>;
}) {
  const values = Object.fromEntries(
    Object.entries(options.values).map(([blockId, value]) => [
      blockId,
      {
        value:
          value.option === undefined
            ? { type: 'plain_text_input', value: value.text ?? null }
            : { type: 'radio_buttons', selected_option: { value: value.option, text: { type: 'plain_text', text: value.option } } },
      },
    ]),
  );
  return {
    type: 'view_submission',
    team: { id: 'T0TEST', domain: 'test' },
    user: { id: options.user.id, username: options.user.username, name: options.user.username, team_id: 'T0TEST' },
    api_app_id: 'A0TEST',
    token: 'legacy-verification-token',
    trigger_id: `trigger-${randomUUID()}`,
    view: {
      id: options.view.id ?? `V${randomUUID().slice(0, 8).toUpperCase()}`,
      type: 'modal',
      callback_id: options.view.callback_id,
      private_metadata: options.view.private_metadata,
      hash: '1.abc',
      state: { values },
    },
  };
}

/** `/containment <text>` as Slack posts it (form fields), with a response_url on the fake Slack. */
export function sendSlashCommand(
  apiUrl: string,
  options: { user: User; channel: string; text: string; responseUrl: string; triggerId?: string },
  request: { retryNum?: number } = {},
) {
  const fields = new URLSearchParams({
    token: 'legacy-verification-token',
    team_id: 'T0TEST',
    team_domain: 'test',
    channel_id: options.channel,
    channel_name: 'incident',
    user_id: options.user.id,
    user_name: options.user.username,
    command: '/containment',
    text: options.text,
    api_app_id: 'A0TEST',
    response_url: options.responseUrl,
    trigger_id: options.triggerId ?? `trigger-${randomUUID()}`,
  });
  return postToSlackEndpoint(apiUrl, fields.toString(), 'application/x-www-form-urlencoded', request);
}

/** An Events API delivery (JSON). */
export function sendEvent(apiUrl: string, event: Record<string, unknown>, request: { retryNum?: number } = {}) {
  const envelope = {
    token: 'legacy-verification-token',
    team_id: 'T0TEST',
    api_app_id: 'A0TEST',
    type: 'event_callback',
    event_id: `Ev${randomUUID().slice(0, 10).toUpperCase()}`,
    event_time: Math.floor(Date.now() / 1000),
    event,
  };
  return postToSlackEndpoint(apiUrl, JSON.stringify(envelope), 'application/json', request);
}
