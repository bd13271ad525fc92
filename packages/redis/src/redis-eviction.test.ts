import type { LogFields, Logger } from '@hookguard/core';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisStore } from './redis-store.js';
import { respCommand } from './testing/resp-command.js';
import { commandStats, redisServerInstalled, startRedisServer, type RedisServer } from './testing/redis-server.js';

// Ports of this file's own: 7130 evicts (volatile-lru), 7131 refuses CONFIG as managed Redis does.
const EVICTING_PORT = 7130;
const NO_CONFIG_PORT = 7131;
const options = { leaseMs: 60_000, retentionMs: 60_000 };

const installed = redisServerInstalled();
const enabled = installed || process.env.CI === 'true';
if (!enabled) {
  console.warn('Skipping the RedisStore eviction tests: redis-server is not installed (with CI=true they fail instead).');
}

type Line = { level: 'debug' | 'warn' | 'error'; fields: LogFields; message: string };

function captureLogs(): { logger: Logger; lines: Line[] } {
  const lines: Line[] = [];
  return {
    lines,
    logger: {
      debug: (fields, message) => void lines.push({ level: 'debug', fields, message }),
      warn: (fields, message) => void lines.push({ level: 'warn', fields, message }),
      error: (fields, message) => void lines.push({ level: 'error', fields, message }),
    },
  };
}

let evicting: RedisServer | undefined;
let noConfig: RedisServer | undefined;
const clients: Redis[] = [];

function connect(port: number, replyMapping: 'legacy' | 'resp3' = 'legacy'): Redis {
  const client = new Redis({ host: '127.0.0.1', port, replyMapping });
  client.on('error', () => {});
  clients.push(client);
  return client;
}

describe.skipIf(!enabled)('RedisStore and Redis eviction', () => {
  beforeAll(async () => {
    evicting = await startRedisServer({ port: EVICTING_PORT, args: ['--maxmemory-policy', 'volatile-lru'] });
    noConfig = await startRedisServer({ port: NO_CONFIG_PORT, args: ['--rename-command', 'CONFIG', ''] });
  });
  afterAll(async () => {
    for (const client of clients) client.disconnect();
    await evicting?.stop();
    await noConfig?.stop();
  });

  it.each(['legacy', 'resp3'] as const)('warns once with WARN_HOOKGUARD_REDIS_EVICTION, saying how to fix it, when maxmemory-policy may evict a live claim (ioredis replyMapping %s)', async (replyMapping) => {
    const logs = captureLogs();
    // 'resp3' answers CONFIG GET with an object instead of a [name, value] array.
    const client = connect(EVICTING_PORT, replyMapping);
    const store = new RedisStore({ client, logger: logs.logger });
    for (const key of ['a', 'b', 'c']) expect((await store.claim(`${replyMapping}:${key}`, options)).status).toBe('claimed');
    await client.ping();
    const warnings = logs.lines.filter((line) => line.level === 'warn');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.fields).toMatchObject({ code: 'WARN_HOOKGUARD_REDIS_EVICTION', maxmemoryPolicy: 'volatile-lru' });
    expect(warnings[0]!.message).toContain('maxmemory-policy volatile-lru');
    expect(warnings[0]!.message).toContain('evict');
    expect(warnings[0]!.message).toContain('CONFIG SET maxmemory-policy noeviction');
  });

  it('stays silent under noeviction, and sends no CONFIG at all when the warning is switched off', async () => {
    await respCommand({ port: EVICTING_PORT }, ['CONFIG', 'SET', 'maxmemory-policy', 'noeviction']);
    try {
      const logs = captureLogs();
      const client = connect(EVICTING_PORT);
      expect((await new RedisStore({ client, logger: logs.logger }).claim('quiet', options)).status).toBe('claimed');
      await client.ping();
      expect(logs.lines).toEqual([]);
      await respCommand({ port: EVICTING_PORT }, ['CONFIG', 'SET', 'maxmemory-policy', 'volatile-lru']);
      const configCalls = async (): Promise<number> => (await commandStats(client))('config');
      const before = await configCalls();
      const off = new RedisStore({ client, logger: logs.logger, warnings: { WARN_HOOKGUARD_REDIS_EVICTION: false } });
      expect((await off.claim('switched-off', options)).status).toBe('claimed');
      await client.ping();
      expect(logs.lines).toEqual([]);
      expect(await configCalls()).toBe(before);
    } finally {
      await respCommand({ port: EVICTING_PORT }, ['CONFIG', 'SET', 'maxmemory-policy', 'volatile-lru']);
    }
  });

  it('only logs at debug level when the server refuses CONFIG, as managed Redis often does, and claims as usual', async () => {
    const logs = captureLogs();
    const client = connect(NO_CONFIG_PORT);
    const store = new RedisStore({ client, logger: logs.logger });
    expect((await store.claim('managed', options)).status).toBe('claimed');
    await client.ping();
    expect(logs.lines).toHaveLength(1);
    expect(logs.lines[0]).toMatchObject({ level: 'debug', fields: { code: 'WARN_HOOKGUARD_REDIS_EVICTION' } });
    expect(logs.lines[0]!.message).toContain('noeviction');
  });

  it('names eviction when Redis evicted a live claim under volatile-lru, which lets a second delivery claim the event', async () => {
    const logs = captureLogs();
    const client = connect(EVICTING_PORT);
    const store = new RedisStore({ client, prefix: 'evicted:', logger: logs.logger });
    const first = await store.claim('evt_1', options);
    if (first.status !== 'claimed') throw new Error(`expected a claim, got ${first.status}`);
    // Memory pressure: every key has a TTL, so volatile-lru may evict any of them, the claim too.
    const used = Number(/used_memory:(\d+)/.exec(await client.info('memory'))?.[1]);
    await client.config('SET', 'maxmemory', String(used + 2_000_000));
    try {
      const filler = 'x'.repeat(1000);
      for (let batch = 0; (await client.exists('evicted:evt_1')) === 1; batch++) {
        if (batch === 1000) throw new Error('volatile-lru never evicted the claim');
        const pipeline = client.pipeline();
        for (let index = 0; index < 100; index++) pipeline.set(`filler:${batch}:${index}`, filler, 'PX', 600_000);
        await pipeline.exec();
      }
    } finally {
      await client.config('SET', 'maxmemory', '0');
      await client.flushall();
    }
    // The first delivery's heartbeat finds its record gone, and the store says why it may be.
    logs.lines.length = 0;
    expect(await store.extend('evt_1', first.token, 60_000)).toBe(false);
    expect(logs.lines.map((line) => [line.level, line.fields])).toEqual([
      ['warn', { code: 'WARN_HOOKGUARD_REDIS_EVICTION', operation: 'extend', key: 'evt_1' }],
    ]);
    // What the policy allowed: a redelivery claims the event while the first delivery still runs.
    expect(await store.claim('evt_1', options)).toMatchObject({ status: 'claimed', attempt: 1 });
    expect(await store.complete('evt_1', first.token, { retentionMs: 60_000 })).toBe(false);
    expect(logs.lines).toHaveLength(1);
    expect(logs.lines[0]!.message).toContain('evicted');
    expect(logs.lines[0]!.message).toContain('maxmemory-policy');
  });
});
