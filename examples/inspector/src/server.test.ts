import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SECRET, TOKEN, delivery, startExample, type StartedExample } from './example-process.fixtures.js';

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

describe('examples/inspector, started with npm start', () => {
  let example: StartedExample;

  beforeAll(async () => {
    example = await startExample(fileURLToPath(new URL('..', import.meta.url)), { WEBHOOK_SECRET: SECRET, INSPECTOR_TOKEN: TOKEN });
    const sent = [
      delivery('msg_1001', { messageId: 'm_1001', from: 'ada@example.com', subject: 'Invoice 2026-11' }),
      delivery('msg_1002', { messageId: 'm_1002', subject: 'No sender' }),
      delivery('msg_1003', { messageId: 'm_1003', from: 'grace@example.com', subject: 'Renewal' }),
      delivery('msg_1001', { messageId: 'm_1001', from: 'ada@example.com', subject: 'Invoice 2026-11' }),
      delivery('msg_1004', { messageId: 'm_1004', subject: 'Bounce' }),
      delivery('msg_1005', { messageId: 'm_1005', from: 'linus@example.org', subject: 'Welcome' }),
    ];
    for (const request of sent) await fetch(`${example.origin}/webhooks`, request);
    await fetch(`${example.origin}/webhooks`, { ...delivery('msg_forged', { messageId: 'x' }), body: '{"type":"message.received","data":{}}' });
  });

  afterAll(async () => {
    await example?.stop();
  });

  it('answers 401 and a login form, with no delivery in it, without the token', async () => {
    const response = await fetch(`${example.origin}/hookguard/`);
    const page = await response.text();
    expect(response.status).toBe(401);
    expect(page).toContain('action="/hookguard/login"');
    expect(page).not.toContain('msg_1001');
    const wrong = await fetch(`${example.origin}/hookguard/`, { headers: { authorization: 'Bearer not-the-token' } });
    expect(wrong.status).toBe(401);
  });

  it('shows the deliveries to the bearer token: processed, failed, duplicate and rejected', async () => {
    const response = await fetch(`${example.origin}/hookguard/`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const page = await response.text();
    expect(response.status).toBe(200);
    for (const outcome of ['processed', 'failed', 'duplicate', 'rejected']) expect(page).toContain(`data-outcome="${outcome}"`);
    expect(page).toContain('message m_1002 has no sender');
  });

  it('signs in through the form in Chromium and shows the page (screenshot in docs/inspector.png)', async () => {
    const profile = await mkdtemp(join(tmpdir(), 'hookguard-example-chromium-'));
    const context = await chromium.launchPersistentContext(profile, { executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS, viewport: { width: 1280, height: 720 } });
    try {
      const page = await context.newPage();
      expect((await page.goto(`${example.origin}/hookguard/`))?.status()).toBe(401);
      await page.fill('input[name="token"]', 'wrong-token-000000');
      await page.click('button[type="submit"]');
      await page.locator('text=That token is not the inspector token.').waitFor();
      await page.fill('input[name="token"]', TOKEN);
      await page.click('button[type="submit"]');
      await page.waitForURL(`${example.origin}/hookguard/`);
      await page.locator('tr[data-seq]').nth(6).waitFor();
      expect(await page.locator('tr[data-outcome="failed"]').count()).toBe(2);
      const png = await page.screenshot({ fullPage: false });
      expect(png.subarray(1, 4).toString()).toBe('PNG');
      // Regenerate the docs image with HOOKGUARD_UPDATE_SCREENSHOT=1; otherwise nothing in the tree changes.
      const target = process.env['HOOKGUARD_UPDATE_SCREENSHOT'] === '1' ? fileURLToPath(new URL('../../../docs/inspector.png', import.meta.url)) : join(profile, 'inspector.png');
      await writeFile(target, png);
    } finally {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    }
  });
});
