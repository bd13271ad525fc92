// Besides Slack's documented example below, deliveries are signed with node:crypto directly (there
// is no Slack signing SDK among our dev dependencies): an implementation independent of ours.
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { toWebhookHeaders } from '../http/headers.js';
import { slack } from './slack.js';
import type { VerifiedDelivery } from './verifier.js';

const SECRET = 'slack-signing-secret-for-tests';
const T = 1_700_000_000;
const verifier = slack({ signingSecret: SECRET, now: () => T * 1000 });

function deliver(body: string, contentType?: string): Promise<VerifiedDelivery> {
  const signature = `v0=${createHmac('sha256', SECRET).update(`v0:${T}:${body}`).digest('hex')}`;
  const headers = {
    'X-Slack-Request-Timestamp': String(T),
    'X-Slack-Signature': signature,
    ...(contentType === undefined ? {} : { 'Content-Type': contentType }),
  };
  return verifier.verify({ rawBody: new TextEncoder().encode(body), headers: toWebhookHeaders(headers) });
}

const form = (fields: Record<string, string>): string => new URLSearchParams(fields).toString();

describe('slack()', () => {
  it("accepts Slack's documented example: a slash command keyed by its trigger_id", async () => {
    // https://api.slack.com/authentication/verifying-requests-from-slack (the worked example)
    const body =
      'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar' +
      '&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com' +
      '%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
    const documented = slack({ signingSecret: '8f742231b10e8888abcd99yyyzzz85a5', now: () => 1531420618 * 1000 });
    const delivery = await documented.verify({
      rawBody: new TextEncoder().encode(body),
      headers: toWebhookHeaders({
        'X-Slack-Request-Timestamp': '1531420618',
        'X-Slack-Signature': 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
        'Content-Type': 'application/x-www-form-urlencoded',
      }),
    });
    expect(delivery).toMatchObject({
      id: '398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c',
      type: 'slash_command./webhook-collect',
      timestamp: new Date(1531420618 * 1000),
      payload: { command: '/webhook-collect', user_name: 'roadrunner', text: '' },
    });
  });

  it('answers the url_verification handshake with its challenge', async () => {
    const body = JSON.stringify({ token: 'Jhj5dZrVaK7ZwHHjRyZWjbDl', challenge: '3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P', type: 'url_verification' });
    const delivery = await deliver(body, 'application/json');
    expect(delivery.reply).toEqual({ challenge: '3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P' });
    expect(delivery).toMatchObject({ id: undefined, type: 'url_verification' });
  });

  it('reads an Events API callback: id event_id, type event.type, timestamp event_time', async () => {
    const body = JSON.stringify({
      token: 'XXYYZZ',
      team_id: 'T123ABC456',
      api_app_id: 'A123ABC456',
      event: { type: 'app_mention', user: 'U123ABC456', text: '<@U0LAN0Z89> hi', ts: '1515449522.000016', channel: 'C123ABC456' },
      type: 'event_callback',
      event_id: 'Ev123ABC456',
      event_time: 1515449522,
    });
    await expect(deliver(body, 'application/json')).resolves.toMatchObject({
      id: 'Ev123ABC456',
      type: 'app_mention',
      timestamp: new Date(1515449522 * 1000),
    });
  });

  it('gives an app_rate_limited notice an id made of its team and minute', async () => {
    const body = JSON.stringify({ token: 'x', type: 'app_rate_limited', team_id: 'T123', minute_rate_limited: 1518467820, api_app_id: 'A123' });
    await expect(deliver(body)).resolves.toMatchObject({ id: 'app_rate_limited:T123:1518467820', type: 'app_rate_limited' });
  });

  it('reads an interactivity payload: type from the payload, id from its trigger_id', async () => {
    const payload = {
      type: 'block_actions',
      trigger_id: '12466734323.1395872398.8c4e1b5c5bd2c5a5c0a6b2d7b8f4c9a1',
      user: { id: 'U123' },
      actions: [{ action_id: 'approve', block_id: 'b1', action_ts: '1548426417.840180' }],
    };
    await expect(deliver(form({ payload: JSON.stringify(payload) }), 'application/x-www-form-urlencoded')).resolves.toMatchObject({
      id: payload.trigger_id,
      type: 'block_actions',
      payload,
    });
  });

  it('falls back to the action timestamp, then to the view id, for interactions without a trigger_id', async () => {
    const actions = { type: 'block_actions', actions: [{ action_id: 'a', action_ts: '1548426417.840180' }] };
    await expect(deliver(form({ payload: JSON.stringify(actions) }))).resolves.toMatchObject({ id: 'action:1548426417.840180' });
    const closed = { type: 'view_closed', is_cleared: false, view: { id: 'V0PKB1ZFV', hash: '1569362015.55b5e41b' } };
    await expect(deliver(form({ payload: JSON.stringify(closed) }))).resolves.toMatchObject({ id: 'view_closed:V0PKB1ZFV', type: 'view_closed' });
  });

  it('reports an interactivity payload that is not JSON with ERR_HOOKGUARD_INVALID_BODY', async () => {
    const delivery = await deliver(form({ payload: '{not json' }), 'application/x-www-form-urlencoded');
    expect(delivery.bodyError?.code).toBe('ERR_HOOKGUARD_INVALID_BODY');
  });

  it("answers Slack's ssl_check with an empty reply", async () => {
    await expect(deliver(form({ ssl_check: '1', token: 'x' }))).resolves.toMatchObject({ type: 'ssl_check', reply: {} });
  });

  it('decides between JSON and form from the signed bytes, whatever the unsigned Content-Type says', async () => {
    await expect(deliver('{"type":"event_callback","event_id":"Ev1","event":{"type":"message"}}')).resolves.toMatchObject({ type: 'message' });
    await expect(deliver(form({ command: '/deploy', trigger_id: 't1' }))).resolves.toMatchObject({ type: 'slash_command./deploy' });
    await expect(deliver(form({ command: '/deploy', trigger_id: 't1' }), 'application/json')).resolves.toMatchObject({
      type: 'slash_command./deploy',
    });
    const jsonAsForm = await deliver('\ufeff {"type":"event_callback","event_id":"Ev2","event":{"type":"app_mention"}}', 'application/x-www-form-urlencoded');
    expect(jsonAsForm).toMatchObject({ id: 'Ev2', type: 'app_mention' });
  });

  it('never reads a genuine event replayed as form-encoded as a slash command typed into its text', async () => {
    // A user typed this into a message: the event is genuine and signed, its text is not ours.
    const body = JSON.stringify({
      token: 'XXYYZZ',
      team_id: 'T123ABC456',
      api_app_id: 'A123ABC456',
      event: {
        type: 'message',
        channel: 'C123ABC456',
        channel_type: 'channel',
        user: 'U123ABC456',
        text: 'see &command=/deploy&trigger_id=1234.5678.abcdef&text=prod&x=',
        ts: '1700000000.000100',
      },
      type: 'event_callback',
      event_id: 'Ev08MFMKH6',
      event_time: T,
    });
    // Parsed as a form, these bytes hold a command field: that is what a replay would exploit.
    expect(new URLSearchParams(body).get('command')).toBe('/deploy');
    for (const contentType of ['application/x-www-form-urlencoded', 'application/x-www-form-urlencoded; charset=utf-8', undefined]) {
      const delivery = await deliver(body, contentType);
      expect(delivery).toMatchObject({ id: 'Ev08MFMKH6', type: 'message', alias: 'message.channels' });
      expect(delivery.type).not.toMatch(/^slash_command/);
    }
  });

  it('aliases a slash command to its command and a message to its Events API subscription', async () => {
    await expect(deliver(form({ command: '/deploy', trigger_id: 't1', text: 'prod' }))).resolves.toMatchObject({
      type: 'slash_command./deploy',
      alias: '/deploy',
    });
    const message = (channelType: string) =>
      JSON.stringify({ type: 'event_callback', event_id: `Ev_${channelType}`, event: { type: 'message', channel_type: channelType, text: 'hi' } });
    await expect(deliver(message('im'))).resolves.toMatchObject({ type: 'message', alias: 'message.im' });
    await expect(deliver(message('group'))).resolves.toMatchObject({ type: 'message', alias: 'message.groups' });
    await expect(deliver(message('mpim'))).resolves.toMatchObject({ type: 'message', alias: 'message.mpim' });
    await expect(deliver(message('app_home'))).resolves.toMatchObject({ type: 'message', alias: 'message.app_home' });
    const unknown = await deliver(message('toString'));
    expect(unknown.alias).toBeUndefined();
    const mention = await deliver('{"type":"event_callback","event_id":"Ev3","event":{"type":"app_mention","channel_type":"channel"}}');
    expect(mention.alias).toBeUndefined();
  });

  it('signs its event ids with the body, so it leaves dedupId unset', async () => {
    const delivery = await deliver('{"type":"event_callback","event_id":"Ev1","event":{"type":"message"}}');
    expect(delivery.id).toBe('Ev1');
    expect(delivery.dedupId).toBeUndefined();
  });

  it('rejects a signature without its v0= prefix with ERR_HOOKGUARD_MALFORMED_HEADER', async () => {
    const body = '{}';
    const signature = createHmac('sha256', SECRET).update(`v0:${T}:${body}`).digest('hex');
    await expect(
      verifier.verify({
        rawBody: new TextEncoder().encode(body),
        headers: toWebhookHeaders({ 'X-Slack-Request-Timestamp': String(T), 'X-Slack-Signature': signature }),
      }),
    ).rejects.toMatchObject({ code: 'ERR_HOOKGUARD_MALFORMED_HEADER' });
  });

  it('rejects a request without X-Slack-Request-Timestamp with ERR_HOOKGUARD_MISSING_HEADER', async () => {
    await expect(
      verifier.verify({ rawBody: new TextEncoder().encode('{}'), headers: toWebhookHeaders({ 'X-Slack-Signature': `v0=${'0'.repeat(64)}` }) }),
    ).rejects.toMatchObject({ code: 'ERR_HOOKGUARD_MISSING_HEADER', message: expect.stringContaining('X-Slack-Request-Timestamp') });
  });

  it('names both headers when a request carries neither', async () => {
    await expect(verifier.verify({ rawBody: new TextEncoder().encode('{}'), headers: toWebhookHeaders({}) })).rejects.toMatchObject({
      code: 'ERR_HOOKGUARD_MISSING_HEADER',
      message: expect.stringContaining('the X-Slack-Signature and X-Slack-Request-Timestamp headers are missing'),
    });
  });

  it('names the signingSecret option in configuration errors', () => {
    expect(() => slack({ signingSecret: '' })).toThrow(expect.objectContaining({ message: expect.stringContaining('signingSecret') }));
  });

  it('is named slack and keeps ids an hour, beyond the Events API retries at 1 and 5 minutes', () => {
    expect(verifier.name).toBe('slack');
    expect(verifier.retentionMs).toBe(3_600_000);
  });
});
