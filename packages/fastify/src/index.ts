export { hookguard, hookguard as default, type HookguardOptions, type ReceiverLike } from './plugin.js';
