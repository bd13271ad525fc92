import { describe, expect, it } from 'vitest';
import { describeDeliveryLogContract } from '../testing/contracts.js';
import { MemoryDeliveryLog } from './memory-delivery-log.js';

describeDeliveryLogContract('MemoryDeliveryLog', { setup: () => ({ open: ({ capacity }) => new MemoryDeliveryLog({ capacity }) }) });
describeDeliveryLogContract('MemoryDeliveryLog with payloads', { setup: () => ({ open: ({ capacity }) => new MemoryDeliveryLog({ capacity, payloads: true }) }) });

describe('MemoryDeliveryLog', () => {
  it('refuses a capacity that is not a positive integer, saying what it got', () => {
    expect(() => new MemoryDeliveryLog({ capacity: 0 })).toThrow(/capacity must be an integer from 1 to 10000000; received 0/);
  });
});
