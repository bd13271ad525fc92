/** The web frameworks the HTTP rounds compare, in the order they run. */
export const FRAMEWORKS = ['fastify', 'hono', 'express'] as const;
export type Framework = (typeof FRAMEWORKS)[number];

/**
 * What the server does with a delivery:
 * - `bare`: reads the raw body and answers 200, no verification (the framework's own cost);
 * - `hookguard`: the @hookguard adapter and receiver (verify, parse, dedup, dispatch);
 * - `by-hand`: the usual hand-written route, the `standardwebhooks` package's `verify` and a `Set`;
 * - `minimal`: the least a verifying route can do: a minimal node:crypto verify and a `Set`;
 * - `minimal-fingerprint`: `minimal` plus the body fingerprint hookguard keeps (a SHA-256 of the
 *   body, 30 bits of it kept with each id in a `Map`): the one guarantee whose cost no code removes;
 * - `direct`: reads the body as `bare` does, then calls `receiver.receive()` with the bytes,
 *   without the adapter: what separates the adapter's cost from the core's.
 */
export type Handling = 'bare' | 'hookguard' | 'by-hand' | 'minimal' | 'minimal-fingerprint' | 'direct';

/** The dedup store behind a `hookguard` server. */
export type StoreKind = 'memory' | 'bloom';

/** One server process's configuration. */
export type ServerConfig = { framework: Framework; handling: Handling; store: StoreKind };

/** Counts a server keeps, reset at the start of each round. */
export type ServerCounters = {
  /** Requests answered. */
  requests: number;
  /** New events whose handler ran. */
  processed: number;
  /** Deliveries answered as duplicates. */
  duplicates: number;
  /** Anything else (rejected, failed): a broken round. */
  errors: number;
};

/** Parent → server process. */
export type ServerCommand = { type: 'start' } | { type: 'stop' } | { type: 'exit' };

/** Server process → parent. */
export type ServerMessage =
  | { type: 'ready'; port: number }
  | { type: 'stats'; cpuMicros: number; systemCpuMicros: number; wallMicros: number; rssBytes: number; counters: ServerCounters }
  | { type: 'failed'; error: string };

/** A short name for a server configuration: `fastify/hookguard(memory)`. */
export function serverName(config: ServerConfig): string {
  return config.handling === 'hookguard' || config.handling === 'direct'
    ? `${config.framework}/${config.handling}(${config.store})`
    : `${config.framework}/${config.handling}`;
}

/** Frameworks by their display name. */
export const FRAMEWORK_NAMES: Record<Framework, string> = { express: 'Express', hono: 'Hono', fastify: 'Fastify' };
