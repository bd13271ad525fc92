export { HookguardInstrumentation, type HookguardInstrumentationConfig } from './hookguard-instrumentation.js';
