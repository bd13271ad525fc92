import { describe, expect, it } from 'vitest';
import { captureLogs } from '../receiver/receiver.fixtures.js';
import { WriteBuffer } from './write-buffer.js';

describe('WriteBuffer', () => {
  it('writes what was pushed in one turn as one batch, in order', async () => {
    const batches: number[][] = [];
    const buffer = new WriteBuffer<number>({ name: 'Test', maxPending: 100, logger: captureLogs().logger, write: async (batch) => void batches.push(batch) });
    for (let index = 1; index <= 5; index++) buffer.push(index);
    expect(batches).toEqual([]);
    await buffer.flush();
    expect(batches).toEqual([[1, 2, 3, 4, 5]]);
  });

  it('gives up flush() after timeoutMs when a write never settles, logging how many entries were left', async () => {
    const { logger, lines } = captureLogs();
    const buffer = new WriteBuffer<number>({ name: 'Test', maxPending: 100, logger, write: () => new Promise<void>(() => undefined) });
    for (let index = 1; index <= 4; index++) buffer.push(index);
    await buffer.flush({ timeoutMs: 50 });
    expect(lines).toEqual([
      {
        level: 'warn',
        fields: expect.objectContaining({ code: 'ERR_HOOKGUARD_STORE_UNAVAILABLE', unwritten: 4 }),
        message: 'Test: flush() gave up after 50 ms with 4 record(s) unwritten; the backend is not answering',
      },
    ]);
  });

  it('holds at most maxPending while a write is slow, dropping the oldest', async () => {
    const batches: number[][] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const buffer = new WriteBuffer<number>({
      name: 'Test',
      maxPending: 3,
      logger: captureLogs().logger,
      write: async (batch) => {
        batches.push(batch);
        if (batches.length === 1) await gate;
      },
    });
    buffer.push(0);
    const flushed = buffer.flush();
    for (let index = 1; index <= 6; index++) buffer.push(index);
    release();
    await flushed;
    await buffer.flush();
    expect(batches).toEqual([[0], [4, 5, 6]]);
  });

  it('logs a failing backend once until it works again, then says so', async () => {
    const { logger, lines } = captureLogs();
    let down = true;
    const written: number[] = [];
    const buffer = new WriteBuffer<number>({
      name: 'TestLog',
      maxPending: 100,
      logger,
      write: async (batch) => {
        if (down) throw new Error('ECONNREFUSED');
        written.push(...batch);
      },
    });
    for (let index = 0; index < 5; index++) {
      buffer.push(index);
      await buffer.flush();
    }
    expect(lines.filter((line) => line.level === 'error').map((line) => line.fields['code'])).toEqual(['ERR_HOOKGUARD_STORE_UNAVAILABLE']);
    down = false;
    buffer.push(9);
    await buffer.flush();
    expect(written).toEqual([9]);
    expect(lines.filter((line) => line.level === 'warn')).toMatchObject([{ fields: { dropped: 5 }, message: 'TestLog: writing the delivery log works again' }]);
  });
});
