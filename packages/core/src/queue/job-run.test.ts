import { describe, expect, it } from 'vitest';
import { CLOSING, JobRun } from './job-run.js';

describe('JobRun', () => {
  it('makes its signal only when read, already aborted with the reason when the abort came first', () => {
    const run = new JobRun(2);
    const reason = new Error('the lock was taken');
    run.abort(reason);
    run.abort(new Error('a later reason is ignored'));
    expect(run.attempt).toBe(2);
    expect(run.signal.aborted).toBe(true);
    expect(run.signal.reason).toBe(reason);
  });

  it('aborts a signal already read, once, and hands the same signal to every read', () => {
    const run = new JobRun(1);
    const signal = run.signal;
    const seen: unknown[] = [];
    signal.addEventListener('abort', () => seen.push(signal.reason));
    expect(signal.aborted).toBe(false);
    run.abort('first');
    run.abort('second');
    expect(seen).toEqual(['first']);
    expect(run.signal).toBe(signal);
  });

  it('marks a run closed by the worker and aborts it with the closing reason, unless it was aborted before', () => {
    const closed = new JobRun(1);
    closed.close();
    expect(closed.closing).toBe(true);
    expect(closed.signal.reason).toEqual(new Error(CLOSING));

    const lost = new JobRun(1);
    lost.abort('lock lost');
    lost.close();
    expect(lost.closing).toBe(true);
    expect(lost.signal.reason).toBe('lock lost');
  });
});
