import { BullMQQueue } from '@hookguard/bullmq';
import { MemoryDeliveryLog, createReceiver, standardWebhooks, type QueueWorker, type Receiver } from '@hookguard/core';
import { Redis } from 'ioredis';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { SECRET, TOKEN, launchChromium, signedDelivery, startApp, type App } from './inspector.fixtures.js';

const authorization = `Bearer ${TOKEN}`;

describe('inspector in headless Chromium, inline mode', () => {
  let app: App;
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  let page: Page;

  beforeAll(async () => {
    const receiver = createReceiver({ verifier: standardWebhooks({ secret: SECRET }), deliveryLog: new MemoryDeliveryLog({ payloads: true }), namespace: 'mail', logger: quiet });
    receiver.on('message.*', async (event) => {
      if ((event.payload as { data: { fail?: boolean } }).data.fail === true) throw new Error('mail API answered 503');
    });
    receiver.on('invoice.paid', () => undefined);
    app = await startApp(receiver);
    browser = await launchChromium({ authorization });
    page = await browser.context.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  const send = (id: string, type: string, data: unknown = {}) => fetch(`${app.origin}/webhooks`, signedDelivery(id, type, data));

  it('shows deliveries sent over HTTP as they arrive, newest first, without a reload', async () => {
    const response = await page.goto(`${app.origin}/hookguard`);
    expect(response?.status()).toBe(200);
    await page.locator('#deliveries', { hasText: 'Nothing logged yet' }).waitFor();
    expect((await send('evt_a', 'message.received')).status).toBe(200);
    expect((await send('evt_b', 'message.received', { fail: true })).status).toBe(500);
    expect((await send('evt_c', 'invoice.paid')).status).toBe(200);
    await page.locator('tr[data-seq]').nth(2).waitFor();
    expect(await page.locator('tr[data-seq] td:nth-child(5)').allInnerTexts()).toEqual(['evt_c', 'evt_b', 'evt_a']);
    await page.locator('[data-testid="counts"] a[data-outcome="processed"]', { hasText: '2' }).waitFor();
  });

  it('filters by outcome, type and id through the form and the counts', async () => {
    await page.goto(`${app.origin}/hookguard`);
    await page.selectOption('select[name="outcome"]', 'failed');
    await page.click('button[type="submit"]');
    await page.waitForURL(/outcome=failed/);
    expect(await page.locator('tr[data-seq] td:nth-child(5)').allInnerTexts()).toEqual(['evt_b']);
    await page.goto(`${app.origin}/hookguard`);
    await page.fill('input[name="type"]', 'invoice.*');
    await page.click('button[type="submit"]');
    await page.waitForURL(/type=invoice/);
    expect(await page.locator('tr[data-seq] td:nth-child(5)').allInnerTexts()).toEqual(['evt_c']);
    await page.goto(`${app.origin}/hookguard`);
    await page.fill('input[name="id"]', 'evt_a');
    await page.click('button[type="submit"]');
    await page.waitForURL(/id=evt_a/);
    expect(await page.locator('tr[data-seq] td:nth-child(5)').allInnerTexts()).toEqual(['evt_a']);
    await page.goto(`${app.origin}/hookguard`);
    await page.click('[data-testid="counts"] a[data-outcome="processed"]');
    await page.waitForURL(/outcome=processed/);
    expect(await page.locator('tr[data-seq] td:nth-child(5)').allInnerTexts()).toEqual(['evt_c', 'evt_a']);
  });

  it('opens a delivery and shows its payload redacted, an XSS attempt as inert text', async () => {
    const dialogs: string[] = [];
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    const attack = '<img src=x onerror=alert(1)><script>alert(2)</script>';
    expect((await send('evt_x', 'message.received', { fail: true, note: attack, from: 'ada@example.com' })).status).toBe(500);
    await page.goto(`${app.origin}/hookguard/?id=evt_x`);
    await page.click('tr[data-seq] td:nth-child(5) a');
    await page.waitForURL(/\/hookguard\/deliveries\//);
    const payload = await page.locator('[data-testid="payload"]').innerText();
    expect(payload).toContain(attack);
    expect(payload).not.toContain('ada@example.com');
    expect(payload).toContain('[redacted]');
    expect(await page.locator('main img, main script').count()).toBe(0);
    expect(dialogs).toEqual([]);
  });

  it('answers 401 with no data to a browser without the token', async () => {
    const anonymous = await launchChromium();
    try {
      const stranger = await anonymous.context.newPage();
      const response = await stranger.goto(`${app.origin}/hookguard`);
      expect(response?.status()).toBe(401);
      expect(await stranger.content()).not.toContain('evt_a');
    } finally {
      await anonymous.close();
    }
  });
});

describe('inspector in headless Chromium, queued mode on BullMQ', () => {
  const connection = new Redis({ host: '127.0.0.1', port: 6379, maxRetriesPerRequest: null });
  const prefix = `hg-inspector-test-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
  let app: App;
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  let context: BrowserContext;
  let worker: QueueWorker;
  let receiver: Receiver;
  let broken = true;
  const successes: string[] = [];

  beforeAll(async () => {
    const queue = new BullMQQueue({ connection, prefix, name: 'inspector' });
    receiver = createReceiver({
      verifier: standardWebhooks({ secret: SECRET }),
      deliveryLog: new MemoryDeliveryLog(),
      namespace: 'queued-mail',
      queue,
      retry: { attempts: 2, minDelayMs: 10, maxDelayMs: 20 },
      logger: quiet,
    });
    receiver.on('message.received', async (event) => {
      // The error quotes an address and a token, as handlers' errors quoting the payload do.
      if (broken) throw new Error('mail API down for ada@example.com {"api_token":"tok_live_1"}');
      successes.push(event.id);
    });
    worker = await receiver.work({ concurrency: 2 });
    app = await startApp(receiver);
    browser = await launchChromium({ authorization });
    context = browser.context;
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await worker?.close();
    await receiver?.options.queue?.close?.();
    let cursor = '0';
    do {
      const [next, keys] = await connection.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await connection.del(...keys);
    } while (cursor !== '0');
    await connection.quit();
  });

  async function deadLettered(count: number): Promise<void> {
    await vi.waitFor(async () => expect(await receiver.options.queue!.deadLetters()).toHaveLength(count), { timeout: 15_000, interval: 50 });
  }

  it('refuses a replay POST without the CSRF token, and keeps the dead letter', async () => {
    for (const id of ['evt_q1', 'evt_q2', 'evt_q3']) expect((await fetch(`${app.origin}/webhooks`, signedDelivery(id, 'message.received', {}))).status).toBe(200);
    await deadLettered(3);
    const page = await context.newPage();
    await page.goto(`${app.origin}/hookguard/dead-letters`);
    expect(await page.locator('#dead-letters tr[data-key]').count()).toBe(3);
    expect(await page.locator('#dead-letters').innerText()).toContain('mail API down');
    // The queue keeps the error as thrown; the page shows it masked, as the delivery log keeps it.
    expect(await page.locator('#dead-letters').innerText()).not.toMatch(/ada@example\.com|tok_live_1/);
    expect(await page.locator('#dead-letters').innerText()).toContain('[redacted]');
    // The page's own cookie goes along; only the form's token is missing or forged.
    const statuses = await page.evaluate(async (key) => {
      const post = (body: string) => fetch('/hookguard/replay', { method: 'POST', body: new URLSearchParams(body), redirect: 'manual' }).then((response) => response.status);
      return [await post(`one=${encodeURIComponent(key)}`), await post(`one=${encodeURIComponent(key)}&csrf=forged.token`)];
    }, 'queued-mail:evt_q1');
    expect(statuses).toEqual([403, 403]);
    expect(await receiver.options.queue!.deadLetters()).toHaveLength(3);
    expect(successes).toEqual([]);
    await page.close();
  });

  it('replays one dead letter from the page, whose handler then runs once, then a selection, then all', async () => {
    broken = false;
    const page = await context.newPage();
    await page.goto(`${app.origin}/hookguard/dead-letters`);
    await page.click('tr[data-key="queued-mail:evt_q1"] button[name="one"]');
    await page.locator('[data-testid="replayed"]', { hasText: 'Replayed 1 event(s)' }).waitFor();
    await vi.waitFor(() => expect(successes).toEqual(['evt_q1']), { timeout: 15_000, interval: 50 });
    await deadLettered(2);

    await page.goto(`${app.origin}/hookguard/dead-letters`);
    await page.check('input[name="key"][value="queued-mail:evt_q2"]');
    await page.click('button[name="selected"]');
    await page.locator('[data-testid="replayed"]', { hasText: 'Replayed 1 event(s)' }).waitFor();
    await vi.waitFor(() => expect([...successes].sort()).toEqual(['evt_q1', 'evt_q2']), { timeout: 15_000, interval: 50 });

    await deadLettered(1);
    await page.goto(`${app.origin}/hookguard/dead-letters`);
    page.once('dialog', (dialog) => void dialog.accept());
    await page.click('button[name="all"]');
    await page.locator('[data-testid="replayed"]', { hasText: 'Replayed 1 event(s)' }).waitFor();
    await vi.waitFor(() => expect([...successes].sort()).toEqual(['evt_q1', 'evt_q2', 'evt_q3']), { timeout: 15_000, interval: 50 });
    await deadLettered(0);

    // A queued delivery's detail shows the verified payload the queue keeps, redacted.
    await page.goto(`${app.origin}/hookguard/?id=evt_q3&outcome=queued`);
    await page.click('tr[data-seq] td:nth-child(5) a');
    expect(await page.locator('[data-testid="payload"]').innerText()).toContain('"type": "message.received"');
    expect(await page.locator('main').innerText()).toContain('the verified event the queue keeps');

    // The log holds each job run: two failed runs, the dead letter, then the replayed run.
    await page.goto(`${app.origin}/hookguard/?id=evt_q1`);
    expect(await page.locator('tr[data-seq]').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-outcome')))).toEqual([
      'processed',
      'dead_lettered',
      'retried',
      'queued',
    ]);
    await page.close();
  });
});

const quiet = { warn: () => undefined, error: () => undefined };
