// Compile-time check (tsc only, `npm run typecheck`): protocol.ts restates the core's telemetry
// records so this package imports no copy of the core; what the core publishes must stay readable
// as what this package reads, and a subscriber made here must fit the core's registry.
import { expectTypeOf } from 'vitest';
import type * as Core from '../../core/src/telemetry/records.js';
import type { TelemetryRegistry as CoreRegistry } from '../../core/src/telemetry/registry.js';
import type * as Protocol from './protocol.js';

expectTypeOf<Core.DeliveryRecord>().toExtend<Protocol.DeliveryRecord>();
expectTypeOf<Core.JobRecord>().toExtend<Protocol.JobRecord>();
expectTypeOf<Core.StoreRecord>().toExtend<Protocol.StoreRecord>();
expectTypeOf<Core.HandlerRecord>().toExtend<Protocol.HandlerRecord>();
expectTypeOf<Core.TelemetryRecord>().toExtend<Protocol.TelemetryRecord>();
expectTypeOf<Protocol.TelemetrySubscriber>().toExtend<Core.TelemetrySubscriber>();
expectTypeOf<CoreRegistry['version']>().toEqualTypeOf<Protocol.TelemetryRegistry['version']>();
