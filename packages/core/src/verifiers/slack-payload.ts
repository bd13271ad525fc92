import type { WebhookHeaders } from '../http/headers.js';
import { OPEN_BRACE, decodeFormBody, decodeJsonBody, firstNonSpace, parseJson, readObject, readString } from './decode-body.js';
import { dateFromUnixSeconds } from './timestamp.js';
import type { VerifiedDelivery } from './verifier.js';

/**
 * Reads an authentic Slack request. Slack posts three shapes to a Request URL:
 * - Events API (JSON): `event_callback` (id `event_id`, type `event.type`), the one-time
 *   `url_verification` handshake (answered with its challenge) and `app_rate_limited`;
 * - interactivity (form field `payload` holding JSON): type is the payload's `type`
 *   (`block_actions`, `view_submission`, `shortcut`…), id its `trigger_id` or, failing that,
 *   an action timestamp or the view id;
 * - slash commands (form fields): type `slash_command.<command>` (`slash_command./deploy`), id
 *   the `trigger_id`, alias the command (`/deploy`).
 *
 * The shape is decided from the signed bytes, never from the unsigned `Content-Type`: a JSON
 * body starts with `{`, a form body never does (a `{` in a form is written `%7B`). Otherwise a
 * genuine event whose user-typed text holds `&command=/deploy&…`, replayed as form-encoded, would
 * run a slash-command handler.
 */
export function interpretSlack(rawBody: Uint8Array, _headers: WebhookHeaders, signedAt: Date | undefined): VerifiedDelivery {
  return firstNonSpace(rawBody) === OPEN_BRACE ? interpretEvent(rawBody, signedAt) : interpretForm(rawBody, signedAt);
}

/**
 * The Events API subscription a message event answers to: Slack subscribes apps to
 * `message.channels`, `message.im`… but delivers them all as type `message` with a `channel_type`.
 */
const MESSAGE_SUBSCRIPTIONS: Readonly<Record<string, string>> = {
  channel: 'message.channels',
  group: 'message.groups',
  im: 'message.im',
  mpim: 'message.mpim',
  app_home: 'message.app_home',
};

function interpretEvent(rawBody: Uint8Array, signedAt: Date | undefined): VerifiedDelivery {
  const { payload, bodyError } = decodeJsonBody(rawBody);
  if (bodyError !== undefined) return { id: undefined, type: undefined, timestamp: signedAt, payload, bodyError };
  const type = readString(payload, 'type');
  if (type === 'url_verification') {
    const challenge = readString(payload, 'challenge');
    const delivery: VerifiedDelivery = { id: undefined, type, timestamp: signedAt, payload };
    if (challenge !== undefined) delivery.reply = { challenge };
    return delivery;
  }
  if (type === 'event_callback') {
    const eventTime = typeof payload === 'object' && payload !== null && Object.hasOwn(payload, 'event_time')
      ? dateFromUnixSeconds((payload as { event_time: unknown }).event_time)
      : undefined;
    const event = readObject(payload, 'event');
    const eventType = readString(event, 'type');
    const delivery: VerifiedDelivery = { id: readString(payload, 'event_id'), type: eventType, timestamp: eventTime ?? signedAt, payload };
    if (eventType === 'message') {
      const channelType = readString(event, 'channel_type');
      const subscription = channelType !== undefined && Object.hasOwn(MESSAGE_SUBSCRIPTIONS, channelType) ? MESSAGE_SUBSCRIPTIONS[channelType] : undefined;
      if (subscription !== undefined) delivery.alias = subscription;
    }
    return delivery;
  }
  if (type === 'app_rate_limited') {
    // No event id; the team and the rate-limited minute identify the notice.
    const minute = readString(payload, 'minute_rate_limited');
    const team = readString(payload, 'team_id') ?? readString(payload, 'enterprise_id') ?? '';
    return { id: minute === undefined ? undefined : `app_rate_limited:${team}:${minute}`, type, timestamp: signedAt, payload };
  }
  return { id: readString(payload, 'event_id'), type, timestamp: signedAt, payload };
}

function interpretForm(rawBody: Uint8Array, signedAt: Date | undefined): VerifiedDelivery {
  const { payload: fields, bodyError } = decodeFormBody(rawBody);
  if (bodyError !== undefined) return { id: undefined, type: undefined, timestamp: signedAt, payload: fields, bodyError };
  const interaction = readString(fields, 'payload');
  if (interaction !== undefined) {
    const parsed = parseJson(interaction);
    if (parsed.bodyError !== undefined) {
      return { id: undefined, type: undefined, timestamp: signedAt, payload: fields, bodyError: parsed.bodyError };
    }
    return {
      id: interactionId(parsed.payload),
      type: readString(parsed.payload, 'type'),
      timestamp: signedAt,
      payload: parsed.payload,
    };
  }
  const command = readString(fields, 'command');
  if (command !== undefined) {
    return { id: readString(fields, 'trigger_id'), type: `slash_command.${command}`, alias: command, timestamp: signedAt, payload: fields };
  }
  if (readString(fields, 'ssl_check') === '1') {
    // Slack's certificate check for slash-command URLs: answer 200 and do nothing else.
    return { id: undefined, type: 'ssl_check', timestamp: signedAt, payload: fields, reply: {} };
  }
  return { id: undefined, type: undefined, timestamp: signedAt, payload: fields };
}

/**
 * `trigger_id` is unique per user interaction (block_actions, view_submission, shortcuts);
 * `action_ts` identifies shortcut and action invocations; a `view_closed` carries neither, and a
 * view closes once, so its view id identifies it.
 */
function interactionId(interaction: unknown): string | undefined {
  const triggerId = readString(interaction, 'trigger_id');
  if (triggerId !== undefined) return triggerId;
  const actionTs = readString(interaction, 'action_ts');
  if (actionTs !== undefined) return `action:${actionTs}`;
  const actions = readObject(interaction, 'actions');
  if (Array.isArray(actions)) {
    const first = readString(actions[0], 'action_ts');
    if (first !== undefined) return `action:${first}`;
  }
  const viewId = readString(readObject(interaction, 'view'), 'id');
  const type = readString(interaction, 'type');
  return viewId === undefined || type === undefined ? undefined : `${type}:${viewId}`;
}
