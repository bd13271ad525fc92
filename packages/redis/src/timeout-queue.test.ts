import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TimeoutQueue } from './timeout-queue.js';

type Item = { deadline: number; settled: boolean; expired: boolean; expire(): void };

function item(queue: TimeoutQueue, onExpire?: () => void): Item {
  return {
    deadline: queue.deadline(),
    settled: false,
    expired: false,
    expire() {
      this.settled = true;
      this.expired = true;
      onExpire?.();
    },
  };
}

describe('TimeoutQueue', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('expires each unsettled item at its own deadline and never a settled one', () => {
    const queue = new TimeoutQueue(1000);
    const first = item(queue);
    queue.add(first);
    vi.advanceTimersByTime(400);
    const answered = item(queue);
    const second = item(queue);
    queue.add(answered);
    queue.add(second);
    answered.settled = true;
    queue.prune();

    vi.advanceTimersByTime(599);
    expect(first.expired).toBe(false);
    vi.advanceTimersByTime(1);
    expect([first.expired, answered.expired, second.expired]).toEqual([true, false, false]);
    vi.advanceTimersByTime(399);
    expect(second.expired).toBe(false);
    vi.advanceTimersByTime(1);
    expect(second.expired).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('keeps watching items added while others expire', () => {
    const queue = new TimeoutQueue(1000);
    let follower: Item | undefined;
    queue.add(
      item(queue, () => {
        follower = item(queue);
        queue.add(follower);
      }),
    );
    vi.advanceTimersByTime(1000);
    expect(follower?.expired).toBe(false);
    vi.advanceTimersByTime(1000);
    expect(follower?.expired).toBe(true);
  });

  it('stops its timer once everything pending has settled', () => {
    const queue = new TimeoutQueue(1000);
    const items = Array.from({ length: 3 }, () => item(queue));
    for (const pending of items) queue.add(pending);
    for (const pending of items) pending.settled = true;
    queue.prune();
    vi.advanceTimersByTime(1000);
    expect(items.some((pending) => pending.expired)).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
  });
});
