import { MemoryDeliveryLog, createReceiver, isWebhookError, silentLogger, standardWebhooks, type DeliveryLogEntry } from '@hookguard/core';
import { describe, expect, it } from 'vitest';
import { createInspector } from './create-inspector.js';
import { SECRET, TOKEN, bearer, signedDelivery } from './inspector.fixtures.js';

const authorized = { authorization: `Bearer ${TOKEN}` };

function setup(options: { readOnly?: boolean } = {}) {
  const log = new MemoryDeliveryLog({ payloads: true });
  const receiver = createReceiver({ verifier: standardWebhooks({ secret: SECRET }), deliveryLog: log, namespace: 'mail', logger: silentLogger });
  receiver.on('message.received', async (event) => {
    if ((event.payload as { data: { fail?: boolean } }).data.fail === true) throw new Error('mailbox <b>full</b>');
  });
  const inspector = createInspector({ receiver, authorize: bearer, ...options });
  const send = async (id: string, type: string, data: unknown) => {
    const sent = signedDelivery(id, type, data);
    return receiver.receive({ rawBody: sent.body, headers: sent.headers });
  };
  const get = (path: string, headers: Record<string, string> = authorized) => inspector(new Request(`http://app.test${path}`, { headers }));
  return { log, receiver, inspector, send, get };
}

describe('createInspector', () => {
  it('refuses to start without authorize, with a coded error saying why', () => {
    const receiver = createReceiver({ verifier: standardWebhooks({ secret: SECRET }), deliveryLog: new MemoryDeliveryLog() });
    const error = (() => {
      try {
        createInspector({ receiver } as never);
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(isWebhookError(error) && error.code).toBe('ERR_HOOKGUARD_INVALID_OPTIONS');
    expect((error as Error).message).toMatch(/authorize must be a function.*no unauthenticated mode/);
  });

  it('answers 401 with no data to every path when authorize refuses or throws', async () => {
    const { send, get, receiver } = setup();
    await send('evt_secret_1', 'message.received', { note: 'private' });
    for (const path of ['/hookguard', '/hookguard/', '/hookguard/dead-letters', '/hookguard/deliveries/1']) {
      const response = await get(path, {});
      const body = await response.text();
      expect([path, response.status]).toEqual([path, 401]);
      expect(body).not.toContain('evt_secret_1');
    }
    const throwing = createInspector({ receiver, authorize: () => { throw new Error('session store down'); } });
    expect((await throwing(new Request('http://app.test/hookguard', { headers: authorized }))).status).toBe(401);
  });

  it('lists deliveries newest first with counts of the last hour, under a strict CSP and no outside asset', async () => {
    const { send, get } = setup();
    await send('evt_1', 'message.received', {});
    await send('evt_2', 'message.received', { fail: true });
    await send('evt_3', 'message.received', {});
    const response = await get('/hookguard');
    const page = await response.text();
    expect(response.status).toBe(200);
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/^default-src 'none'; style-src 'nonce-[^']+'; script-src 'nonce-[^']+'/);
    expect(csp).not.toContain('unsafe-inline');
    expect(page.indexOf('evt_3')).toBeLessThan(page.indexOf('evt_2'));
    expect(page.indexOf('evt_2')).toBeLessThan(page.indexOf('evt_1'));
    expect(page).toMatch(/data-outcome="processed">.*<span class="n">2<\/span>/);
    expect(page).toMatch(/data-outcome="failed">.*<span class="n">1<\/span>/);
    expect(page).not.toMatch(/(src|href)="(https?:)?\/\//);
  });

  it('escapes everything a delivery carries: an XSS payload renders as text', async () => {
    const { send, get, log } = setup();
    const attack = '<script>alert(1)</script><img src=x onerror=alert(2)>';
    await send(`evt_"><script>alert(3)</script>`, `message.received`, { note: attack, fail: true });
    const list = await get('/hookguard');
    const listed = await list.text();
    expect(listed).not.toContain('<script>alert');
    expect(listed).not.toContain('<img src=x');
    expect(listed).toContain('evt_&quot;&gt;&lt;script&gt;alert(3)&lt;/script&gt;');
    expect(listed).toContain('mailbox &lt;b&gt;full&lt;/b&gt;');
    const [record] = (await log.list()).records;
    const detail = await (await get(`/hookguard/deliveries/${record!.seq}`)).text();
    expect(detail).toContain('&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;');
    expect(detail).not.toMatch(/<script>alert|<img src=x/);
  });

  it("shows a delivery's payload through the redaction, the default masking secrets and emails", async () => {
    const { send, get, log } = setup();
    await send('evt_pii', 'message.received', { from: 'ada@example.com', apiToken: 'tok_live_123', subject: 'Invoice' });
    const [record] = (await log.list()).records;
    const detail = await (await get(`/hookguard/deliveries/${record!.seq}`)).text();
    expect(detail).toContain('Invoice');
    expect(detail).not.toContain('ada@example.com');
    expect(detail).not.toContain('tok_live_123');
    expect(detail).toContain('[redacted]');
  });

  it('pages 10 000 deliveries 50 at a time, with a link to the older ones', async () => {
    const { log, get } = setup();
    const base: DeliveryLogEntry = { at: Date.now(), namespace: 'mail', source: 'receive', id: null, type: 'message.received', key: null, outcome: 'processed', status: 200, attempt: 1, durationMs: 1, errorCode: null, errorMessage: null, duplicate: false };
    for (let index = 0; index < 10_000; index++) log.record({ ...base, id: `evt_${index}` });
    const page = await (await get('/hookguard/')).text();
    expect(page.match(/<tr data-seq=/g)).toHaveLength(50);
    const older = /href="(\/hookguard\/\?before=\d+)" rel="next"/.exec(page);
    const next = await (await get(older![1]!.replaceAll('&amp;', '&'))).text();
    expect(next).toContain('evt_9949');
    expect(next).not.toContain('evt_9950<');
  });

  it('refuses replay without a valid CSRF token or from another origin, and everywhere when read-only', async () => {
    const { get, inspector } = setup();
    const page = await get('/hookguard/dead-letters');
    const cookie = page.headers.get('set-cookie')!.split(';')[0]!;
    expect(cookie).toMatch(/^hookguard_csrf=[\w-]+\.[\w-]+$/);
    expect(page.headers.get('set-cookie')).toMatch(/HttpOnly; SameSite=Strict/);
    const token = cookie.slice('hookguard_csrf='.length);
    const post = (body: string, headers: Record<string, string> = {}) =>
      inspector(new Request('http://app.test/hookguard/replay', { method: 'POST', body, headers: { ...authorized, 'content-type': 'application/x-www-form-urlencoded', ...headers } }));
    expect((await post('all=1', { cookie })).status).toBe(403);
    expect((await post(`all=1&csrf=${token}`)).status).toBe(403);
    expect((await post('all=1&csrf=forged.token', { cookie: 'hookguard_csrf=forged.token' })).status).toBe(403);
    expect((await post(`all=1&csrf=${token}`, { cookie, origin: 'https://evil.test' })).status).toBe(403);
    expect((await inspector(new Request('http://app.test/hookguard/replay', { method: 'POST', body: `all=1&csrf=${token}`, headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' } }))).status).toBe(401);
    // A valid token gets past the checks: inline mode then answers that it keeps nothing to replay.
    expect((await post(`all=1&csrf=${token}`, { cookie, origin: 'http://app.test' })).status).toBe(409);
    const readOnly = setup({ readOnly: true });
    const refused = await readOnly.inspector(new Request('http://app.test/hookguard/replay', { method: 'POST', body: 'all=1', headers: { ...authorized, 'content-type': 'application/x-www-form-urlencoded' } }));
    expect(refused.status).toBe(403);
    expect(await (await readOnly.get('/hookguard/dead-letters')).text()).not.toContain('Replay');
  });

  it('never shows the receiver secret, on any page', async () => {
    const { send, get, log } = setup();
    await send('evt_s', 'message.received', { note: 'hello' });
    const [record] = (await log.list()).records;
    for (const path of ['/hookguard/', '/hookguard/dead-letters', `/hookguard/deliveries/${record!.seq}`]) {
      const body = await (await get(path)).text();
      expect(body).not.toContain(SECRET);
      expect(body).not.toContain(SECRET.slice('whsec_'.length));
    }
  });
});
