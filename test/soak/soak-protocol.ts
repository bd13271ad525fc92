// What the soak runner and its server process tell each other.
import type { Framework } from '../cross-process/app-config.js';

/** The environment variable carrying a {@link SoakServerConfig} as JSON. */
export const SOAK_SERVER_ENV = 'HOOKGUARD_SOAK_SERVER';

export type SoakStore =
  | { kind: 'memory' }
  | { kind: 'redis'; port: number; prefix: string }
  | { kind: 'postgres'; connection: { host: string; port: number; user: string; database: string }; schema: string };

export type SoakServerConfig = {
  framework: Framework;
  store: SoakStore;
  /** Every `failEvery`-th event (by the number its id ends with) fails its first attempt. */
  failEvery: number;
  retentionMs: number;
};

export type ParentMessage = { type: 'sample' } | { type: 'flush' };

export type ServerMessage =
  | { type: 'listening'; port: number }
  | { type: 'sample'; rss: number; heapUsed: number; heapTotal: number; external: number; gc: boolean }
  | { type: 'effects'; ids: string[] }
  | { type: 'flushed'; logCounts: Record<string, number> };

/** Whether event `id` (`…-<number>`) is one of those that fail their first attempt. */
export function isFailingEvent(id: string, failEvery: number): boolean {
  return Number(id.slice(id.lastIndexOf('-') + 1)) % failEvery === 0;
}
