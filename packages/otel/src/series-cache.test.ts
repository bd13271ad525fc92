// The attribute objects and counter series a delivery reuses: made once per (system, namespace)
// and per (store, operation, namespace), never shared between different values, never mutable.
import { describe, expect, it } from 'vitest';
import { createCounters } from './instruments.js';
import { SeriesCache } from './series-cache.js';

describe('SeriesCache', () => {
  it('hands a receiver the same span name, attributes and series on every delivery, and another namespace its own', () => {
    const cache = new SeriesCache(createCounters());
    const first = cache.delivery('standard-webhooks', 'orders');
    expect(cache.delivery('standard-webhooks', 'orders')).toBe(first);
    expect(first.spanName).toBe('process orders');
    expect(first.startAttributes).toEqual({ 'messaging.system': 'standard-webhooks', 'messaging.operation.type': 'process', 'messaging.destination.name': 'orders' });
    expect(Object.isFrozen(first.startAttributes)).toBe(true);
    expect(first.processed('process', undefined)).toBe(first.processed('process', undefined));
    expect(first.delivered('processed')).toBe(first.delivered('processed'));

    const other = cache.delivery('standard-webhooks', 'billing');
    expect(other).not.toBe(first);
    expect(other.startAttributes['messaging.destination.name']).toBe('billing');
    expect(other.delivered('processed')).not.toBe(first.delivered('processed'));
    expect(cache.delivery('stripe', 'orders')).not.toBe(first);
  });

  it('keeps an error type on its own series: the metric attributes of a success never gain one', () => {
    const cache = new SeriesCache(createCounters());
    const series = cache.delivery('github', 'repo');
    const ok = series.processed('process', undefined);
    const failed = series.processed('process', 'TypeError');
    expect(failed).not.toBe(ok);
    expect(ok.metric).toEqual({ 'messaging.system': 'github', 'messaging.destination.name': 'repo', 'messaging.operation.name': 'process' });
    expect(failed.metric).toEqual({ ...ok.metric, 'error.type': 'TypeError' });
    expect(Object.isFrozen(ok.metric)).toBe(true);
    expect(failed.consumed).not.toBe(ok.consumed);
    expect(series.processed('accept', undefined).metric['messaging.operation.name']).toBe('accept');
    expect(series.refused('ERR_HOOKGUARD_SIGNATURE_MISMATCH').attributes).toEqual({ 'error.type': 'ERR_HOOKGUARD_SIGNATURE_MISMATCH', 'messaging.system': 'github', 'messaging.destination.name': 'repo' });
    expect(series.deadLettered('inline').attributes).toEqual({ 'messaging.system': 'github', 'messaging.destination.name': 'repo', 'hookguard.mode': 'inline' });
  });

  it('shares counter series with the counters themselves, so the queued path counts into the same ones', () => {
    const counters = createCounters();
    const cache = new SeriesCache(counters);
    const consumed = cache.delivery('standard-webhooks', 'orders').processed('process', undefined).consumed;
    consumed.value += 1;
    // The key the job path increments with: system, namespace, operation, error type.
    counters.consumedMessages.increment('standard-webhooks\u0000orders\u0000process\u0000', () => ({}));
    expect(consumed.value).toBe(2);
  });

  it('makes one span name and attribute set per store, operation and namespace', () => {
    const cache = new SeriesCache(createCounters());
    const claim = cache.store('memory', 'claim', 'orders');
    expect(cache.store('memory', 'claim', 'orders')).toBe(claim);
    expect(claim.spanName).toBe('claim memory');
    expect(claim.attributes).toEqual({ 'hookguard.store': 'memory', 'hookguard.store.operation': 'claim', 'messaging.destination.name': 'orders' });
    expect(claim.metric).toEqual({ 'hookguard.store': 'memory', 'hookguard.store.operation': 'claim' });
    expect(Object.isFrozen(claim.metric)).toBe(true);
    expect(cache.store('memory', 'complete', 'orders').spanName).toBe('complete memory');
    expect(cache.store('memory', 'claim', 'billing').attributes['messaging.destination.name']).toBe('billing');
  });
});
