import { describe, expect, it } from 'vitest';
import { ClaimTable } from './claim-table.js';

const hash = { a: 1, b: 2 };

describe('ClaimTable', () => {
  it('sweeps released and lapsed claims after their retention and keeps live leases', () => {
    const table = new ClaimTable();
    const released = table.take('released', undefined, 0, 100, 1000, hash);
    const lapsed = table.take('lapsed', undefined, 0, 100, 1000, hash);
    table.take('live', undefined, 0, 5000, 1000, hash);
    if (released.status !== 'claimed' || lapsed.status !== 'claimed') throw new Error('expected claims');
    expect(table.release('released', released.token)).toBe(true);
    table.sweep(999);
    expect(table.size).toBe(3);
    table.sweep(1000);
    expect(table.get('released')).toBeUndefined();
    expect(table.get('lapsed')).toBeUndefined();
    expect(table.get('live')).toBeDefined();
  });

  it('starts again at attempt 1 once a released claim expired, before any sweep', () => {
    const table = new ClaimTable();
    const first = table.take('k', undefined, 0, 100, 1000, hash);
    if (first.status !== 'claimed') throw new Error('expected a claim');
    table.release('k', first.token);
    expect(table.take('k', table.get('k'), 999, 100, 1000, hash)).toMatchObject({ status: 'claimed', attempt: 2 });
    const second = table.get('k');
    table.release('k', second?.token ?? '');
    expect(table.take('k', table.get('k'), 5000, 100, 1000, hash)).toMatchObject({ status: 'claimed', attempt: 1 });
  });

  it('keeps the hash of a claim for complete', () => {
    const table = new ClaimTable();
    const claim = table.take('k', undefined, 0, 100, 1000, { a: 7, b: 9 });
    if (claim.status !== 'claimed') throw new Error('expected a claim');
    expect(table.finish('k', claim.token)).toMatchObject({ a: 7, b: 9 });
    expect(table.size).toBe(0);
  });
});
