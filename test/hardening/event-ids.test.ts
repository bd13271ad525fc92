// Event ids an authentic sender may still get wrong, against every store: 10 KB ids, ids with
// NUL or lone surrogates, ids that look like the receiver's own key forms, non-ASCII ids over the
// wire, and JSON numbers too large for a double. Each must be handled once and then answered as a
// duplicate, never refused by a store (a 503 loop) and never merged with another id (a loss).
import {
  MemoryStore,
  createReceiver,
  hmacVerifier,
  silentLogger,
  standardWebhooks,
  type ClaimOptions,
  type ClaimResult,
  type DedupStore,
  type Receiver,
} from '@hookguard/core';
import { PostgresStore } from '@hookguard/postgres';
import { RedisStore } from '@hookguard/redis';
import { Redis } from 'ioredis';
import { createHmac, randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADAPTERS, SECRET, exchange, listen, nowSeconds, requestHead, sdkSignature, type Listening } from './harness.js';
import { postgresAnswers, redisAnswers } from '../support/services.js';

const run = `${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
const required = process.env.CI === 'true';

const BODY = '{"type":"ids.test","data":{}}';

/** Ids that are legal for an authentic sender and hard for a store. */
const HOSTILE_IDS: Record<string, () => string> = {
  '10 KB of random base64': () => randomBytes(7_500).toString('base64'),
  '10 000 times the same letter': () => 'x'.repeat(10_000),
  'a NUL inside': () => `msg_${run}\u0000nul`,
  'a lone high surrogate': () => `msg_${run}_\ud800`,
  'a lone low surrogate': () => `msg_${run}_\udc00`,
  'a reversed surrogate pair': () => `msg_${run}_\udc00\ud800`,
  'emoji and accents': () => `msg_${run}_ünïcödé_💥`,
  'the form of a hashed key': () => `sha256:${randomBytes(32).toString('base64url')}`,
  'the form of a once() key': () => `once:reply-${run}`,
  'a newline and a quote': () => `msg_${run}\n"injected": true`,
};


type Backend = { store: DedupStore; close(): Promise<void> };
type BackendSpec = { name: string; available(): Promise<boolean>; open(): Promise<Backend> };

const backends: BackendSpec[] = [
  { name: 'memory', available: async () => true, open: async () => ({ store: new MemoryStore(), close: async () => undefined }) },
  {
    name: 'redis',
    available: redisAnswers,
    async open() {
      const client = new Redis({ host: '127.0.0.1', port: 6379 });
      const prefix = `hookguard-hardening:${run}:`;
      return {
        store: new RedisStore({ client, prefix }),
        async close() {
          const keys = await client.keys(`${prefix}*`);
          if (keys.length > 0) await client.del(...keys);
          client.disconnect();
        },
      };
    },
  },
  {
    name: 'postgres',
    available: postgresAnswers,
    async open() {
      const pool = new pg.Pool({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test', application_name: 'hookguard-hardening' });
      pool.on('error', () => {});
      const schema = `hookguard_hardening_${run}`;
      const store = new PostgresStore({ pool, schema });
      await store.migrate();
      return {
        store,
        async close() {
          await store.close();
          await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
          await pool.end();
        },
      };
    },
  },
];

/** A store that forwards to `inner` and remembers every key it was asked to claim. */
class KeyRecordingStore implements DedupStore {
  readonly name = 'key-recording';
  readonly exact = true;
  readonly shared = false;
  readonly keys: string[] = [];
  constructor(readonly inner: DedupStore) {}
  claim(key: string, options: ClaimOptions): Promise<ClaimResult> {
    this.keys.push(key);
    return this.inner.claim(key, options);
  }
  complete: DedupStore['complete'] = (...args) => this.inner.complete(...args);
  release: DedupStore['release'] = (...args) => this.inner.release(...args);
  extend: DedupStore['extend'] = (...args) => this.inner.extend(...args);
}

function signedHeaders(id: string): Record<string, string> {
  const seconds = nowSeconds();
  return { 'webhook-id': id, 'webhook-timestamp': String(seconds), 'webhook-signature': sdkSignature(id, seconds, BODY) };
}

for (const backend of backends) {
  describe(`hostile event ids with the ${backend.name} store`, () => {
    let opened: Backend | undefined;
    let skip = false;
    beforeAll(async () => {
      if (!(await backend.available()) && !required) {
        skip = true;
        console.warn(`Skipping the ${backend.name} id tests: the service does not answer on 127.0.0.1; with CI=true they fail instead.`);
        return;
      }
      opened = await backend.open();
    });
    afterAll(async () => opened?.close());

    it('handles each id once, answers its redelivery as a duplicate, and never merges two ids', async ({ skip: skipTest }) => {
      if (skip) skipTest();
      const store = new KeyRecordingStore(opened!.store);
      const receiver = createReceiver({ verifier: standardWebhooks({ secret: SECRET }), store, logger: silentLogger, namespace: `ids-${run}` });
      const calls: string[] = [];
      receiver.on('*', (event) => void calls.push(event.id));
      const ids = Object.entries(HOSTILE_IDS).map(([name, make]) => ({ name, id: make() }));
      for (const { name, id } of ids) {
        const first = await receiver.receive({ rawBody: BODY, headers: signedHeaders(id) });
        expect({ name, status: first.status, body: first.body }).toEqual({ name, status: 200, body: '{"received":true}' });
      }
      for (const { name, id } of ids) {
        const again = await receiver.receive({ rawBody: BODY, headers: signedHeaders(id) });
        expect({ name, status: again.status, body: again.body }).toEqual({ name, status: 200, body: '{"received":true,"duplicate":true}' });
      }
      expect(calls).toEqual(ids.map(({ id }) => id));
      // What reached the store: one short, well-formed key per distinct id, none holding a NUL.
      const keys = new Set(store.keys);
      expect(keys.size).toBe(ids.length);
      for (const key of keys) {
        expect(key.length).toBeLessThanOrEqual(`ids-${run}:`.length + 200);
        expect(key).not.toMatch(/[\u0000-\u001f]/);
        expect(key).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/);
        expect(key.startsWith(`ids-${run}:once:`)).toBe(false);
      }
    });

    it('keeps an event id and a ctx.once() key of the same text apart', async ({ skip: skipTest }) => {
      if (skip) skipTest();
      const receiver = createReceiver({ verifier: standardWebhooks({ secret: SECRET }), store: opened!.store, logger: silentLogger, namespace: `once-${run}` });
      const effects: string[] = [];
      receiver.on('*', async (event, ctx) => {
        effects.push(`handled ${event.id}`);
        await ctx.once('reply', () => void effects.push('replied'));
      });
      expect((await receiver.receive({ rawBody: BODY, headers: signedHeaders(`msg_${run}`) })).status).toBe(200);
      // An event whose id is `once:reply` must not be taken for the reply already sent.
      const clash = await receiver.receive({ rawBody: BODY, headers: signedHeaders('once:reply') });
      expect(clash.body).toBe('{"received":true}');
      expect(effects).toEqual([`handled msg_${run}`, 'replied', 'handled once:reply']);
    });
  });
}

describe('numeric event ids read from a JSON body', () => {
  const secret = 'in-house signing secret';
  function sign(body: string): Record<string, string> {
    return { 'x-signature': createHmac('sha256', secret).update(body).digest('hex') };
  }
  function receiverForBodyIds(): { receiver: Receiver; calls: string[] } {
    const receiver = createReceiver({ verifier: hmacVerifier({ name: 'in-house', secret, header: 'x-signature' }), logger: silentLogger });
    const calls: string[] = [];
    receiver.on('*', (event) => void calls.push(event.id));
    return { receiver, calls };
  }

  it('processes integer ids up to 2^53 - 1, each once', async () => {
    const { receiver, calls } = receiverForBodyIds();
    for (const id of [1, 42, Number.MAX_SAFE_INTEGER, -7]) {
      const body = `{"id":${id},"type":"n"}`;
      expect((await receiver.receive({ rawBody: body, headers: sign(body) })).body).toBe('{"received":true}');
      expect((await receiver.receive({ rawBody: body, headers: sign(body) })).body).toBe('{"received":true,"duplicate":true}');
    }
    expect(calls).toEqual(['1', '42', String(Number.MAX_SAFE_INTEGER), '-7']);
  });

  it('never merges two ids a double cannot tell apart: refuses them with 400 instead of answering one as a duplicate', async () => {
    const { receiver, calls } = receiverForBodyIds();
    // Both parse to 12345678901234567000: one id for two events would drop the second.
    for (const digits of ['12345678901234567891', '12345678901234567892', '9007199254740993', '0.1', '1e400']) {
      const body = `{"id":${digits},"type":"n"}`;
      const result = await receiver.receive({ rawBody: body, headers: sign(body) });
      expect({ digits, status: result.status, code: result.error?.code }).toEqual({ digits, status: 400, code: 'ERR_HOOKGUARD_MISSING_EVENT_ID' });
    }
    expect(calls).toEqual([]);
  });
});

describe.each(ADAPTERS)('%s: ids over a socket', (adapter) => {
  let server: Listening;
  let receiver: Receiver;
  const calls: string[] = [];
  beforeAll(async () => {
    receiver = createReceiver({ verifier: standardWebhooks({ secret: SECRET }), logger: silentLogger });
    receiver.on('*', (event) => void calls.push(event.id));
    server = await listen(adapter, receiver);
  });
  afterAll(() => server.close());

  async function send(id: string | Uint8Array, signedId: string): Promise<{ status: number | undefined; body: string }> {
    const seconds = nowSeconds();
    const head = requestHead([
      ['content-length', String(Buffer.byteLength(BODY))],
      ['webhook-id', id],
      ['webhook-timestamp', String(seconds)],
      ['webhook-signature', sdkSignature(signedId, seconds, BODY)],
    ]);
    const { status, body } = await exchange(server.port, head, [Buffer.from(BODY)]);
    return { status, body };
  }

  it('handles a 10 KB id (within Node’s 16 KiB header limit) once, then answers it as a duplicate', async () => {
    const id = randomBytes(7_500).toString('base64');
    expect(await send(id, id)).toEqual({ status: 200, body: '{"received":true}' });
    expect(await send(id, id)).toEqual({ status: 200, body: '{"received":true,"duplicate":true}' });
    expect(calls.filter((call) => call === id)).toHaveLength(1);
  });

  it('answers a 20 KB id with 431 from Node’s parser, before any code of ours', async () => {
    const id = randomBytes(15_000).toString('base64');
    const answer = await send(id, id);
    expect(answer.status).toBe(431);
  });

  it('reads header bytes as Latin-1, as HTTP does: a Latin-1 id verifies, UTF-8 bytes do not (401, never 5xx)', async () => {
    const latin = `msg_${run}_café`;
    expect(await send(Buffer.from(latin, 'latin1'), latin)).toEqual({ status: 200, body: '{"received":true}' });
    const unicode = `msg_${run}_💥`;
    expect(await send(Buffer.from(unicode, 'utf8'), unicode)).toEqual({ status: 401, body: '{"error":"ERR_HOOKGUARD_SIGNATURE_MISMATCH"}' });
    expect(calls).not.toContain(unicode);
  });
});
