import { isWebhookError } from '@hookguard/core';
import type { Command } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FollowUp, ScriptRunner, luaScript, plainCommand, type RedisClient } from './script-runner.js';

// A client that only records what it is sent, so the test decides when (and whether) each command
// is answered, on fake time.
function recordingClient(): { client: RedisClient; sent: Command[] } {
  const sent: Command[] = [];
  const client = { options: {}, sendCommand: (command: Command) => void sent.push(command) } as unknown as RedisClient;
  return { client, sent };
}

describe('ScriptRunner', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('gives an operation that goes on from a plain command to its script one timeout for both', async () => {
    const { client, sent } = recordingClient();
    const runner = new ScriptRunner(client, 1000);
    const script = luaScript('claim', "return redis.call('GET', KEYS[1])");
    const next = new FollowUp(script, (reply) => reply);
    const plain = plainCommand('claim', 'set', (key, args) => [key, ...args], next);
    let outcome: { value: unknown } | { error: unknown } | undefined;
    runner.run(plain, 'key', ['value', 'NX', 'GET'], () => next).then(
      (value) => (outcome = { value }),
      (error: unknown) => (outcome = { error }),
    );
    expect(sent.map((command) => command.name)).toEqual(['set']);

    // The SET answers late; its script is sent and never answered.
    await vi.advanceTimersByTimeAsync(700);
    (sent[0] as unknown as { resolve: (reply: unknown) => void }).resolve('a record');
    await vi.advanceTimersByTimeAsync(0);
    expect(sent.map((command) => command.name)).toEqual(['set', 'evalsha']);
    expect(outcome).toBeUndefined();

    // Rejected at the first command's deadline, not a full timeout after the script was sent.
    await vi.advanceTimersByTimeAsync(301);
    expect(outcome && 'error' in outcome).toBe(true);
    const error = (outcome as { error: unknown }).error;
    expect(isWebhookError(error) && error.code).toBe('ERR_HOOKGUARD_STORE_UNAVAILABLE');
    expect((error as Error).message).toContain('within commandTimeoutMs (1000 ms)');
  });
});
