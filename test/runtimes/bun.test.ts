import { startScriptedBun } from './launch/runtimes.js';
import { describeRuntimeConformance } from './runtime-conformance.js';

describeRuntimeConformance('Bun (Bun.serve)', startScriptedBun);
