// autocannon ships no type declarations and this workspace has no @types/autocannon, so it is
// loaded through require with the small part of its API the load generator uses typed here.
import { createRequire } from 'node:module';

/** A request as autocannon builds it; `setupRequest` may rewrite it before each send. */
export type AutocannonRequestData = {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
};

/** One entry of autocannon's `requests` list. */
export type AutocannonRequest = AutocannonRequestData & {
  setupRequest?: (request: AutocannonRequestData, context: Record<string, unknown>) => AutocannonRequestData | undefined;
};

/** The options this bench passes to autocannon. */
export type AutocannonOptions = {
  url: string;
  connections: number;
  /** Seconds; the run ends at the first sample tick after it. */
  duration: number;
  /** Milliseconds between samples. */
  sampleInt?: number;
  pipelining?: number;
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  requests?: AutocannonRequest[];
  /** Seconds before a request counts as timed out. */
  timeout?: number;
};

/** The fields of autocannon's result this bench reads. */
export type AutocannonResult = {
  '2xx': number;
  non2xx: number;
  errors: number;
  timeouts: number;
  totalCompletedRequests: number;
  /** Seconds, to 10 ms. */
  duration: number;
  latency: { average: number; p50: number; p99: number; max: number };
  statusCodeStats: Record<string, { count: number }>;
};

type Autocannon = (options: AutocannonOptions) => PromiseLike<AutocannonResult>;

const require = createRequire(import.meta.url);

/** autocannon's main function: resolves with the result when the run ends. */
export const autocannon = require('autocannon') as Autocannon;
