import { WebhookError } from '../errors/webhook-error.js';
import type { HandlerOptions, WebhookHandler } from './types.js';

const MAX_CACHED_TYPES = 1_000;

/** A registered handler and its options. */
export type Route = { pattern: string; handler: WebhookHandler; options: HandlerOptions };

/**
 * Maps event types to handlers: exact types, `prefix.*` wildcards (matching `prefix.x` and
 * `prefix.x.y`, not `prefix` itself), and `'*'` for everything. Every matching handler runs.
 * A delivery may also carry an alias (`VerifiedDelivery.alias`: GitHub's `issues` for
 * `issues.opened`): exact registrations of the alias match too.
 */
export class Router {
  readonly #exact = new Map<string, Route[]>();
  readonly #prefixes: { prefix: string; route: Route }[] = [];
  readonly #catchAll: Route[] = [];
  #order = new Map<Route, number>();
  /** Results of {@link match} by type: a delivery's type is usually one of a few. */
  readonly #matched = new Map<string, readonly Route[]>();
  /**
   * Results of {@link match} with an alias, by alias then type. Keyed on both: the type and alias
   * come from unsigned headers for some schemes, so one type may arrive with different aliases.
   */
  readonly #aliased = new Map<string, Map<string, readonly Route[]>>();
  #cached = 0;

  add(pattern: string, handler: WebhookHandler, options: HandlerOptions): void {
    validatePattern(pattern);
    const route: Route = { pattern, handler, options };
    this.#clearCache();
    this.#order.set(route, this.#order.size);
    if (pattern === '*') this.#catchAll.push(route);
    else if (pattern.endsWith('.*')) this.#prefixes.push({ prefix: pattern.slice(0, -1), route });
    else {
      const routes = this.#exact.get(pattern);
      if (routes === undefined) this.#exact.set(pattern, [route]);
      else routes.push(route);
    }
  }

  /**
   * The routes matching `type`, or registered exactly under `alias`, in registration order, each
   * once. Call it as `router.match(delivery.type ?? '', delivery.alias)`.
   */
  match(type: string, alias?: string): readonly Route[] {
    if (alias === undefined || alias === type) {
      const cached = this.#matched.get(type);
      if (cached !== undefined) return cached;
      const matched = Object.freeze(this.#collect(type, undefined));
      this.#makeRoom();
      this.#matched.set(type, matched);
      return matched;
    }
    const cached = this.#aliased.get(alias)?.get(type);
    if (cached !== undefined) return cached;
    const matched = Object.freeze(this.#collect(type, alias));
    this.#makeRoom();
    let byType = this.#aliased.get(alias);
    if (byType === undefined) {
      byType = new Map();
      this.#aliased.set(alias, byType);
    }
    byType.set(type, matched);
    return matched;
  }

  /** Counts one more cached result, emptying the cache first when it is full. */
  #makeRoom(): void {
    // Types come from authentic deliveries, but a sender may still use many: bound the cache.
    if (this.#cached >= MAX_CACHED_TYPES) this.#clearCache();
    this.#cached++;
  }

  #clearCache(): void {
    this.#matched.clear();
    this.#aliased.clear();
    this.#cached = 0;
  }

  #collect(type: string, alias: string | undefined): Route[] {
    const matched: Route[] = [...(this.#exact.get(type) ?? [])];
    if (alias !== undefined) matched.push(...(this.#exact.get(alias) ?? []));
    for (const { prefix, route } of this.#prefixes) {
      if (type.length > prefix.length && type.startsWith(prefix)) matched.push(route);
    }
    matched.push(...this.#catchAll);
    if (matched.length > 1) matched.sort((a, b) => (this.#order.get(a) ?? 0) - (this.#order.get(b) ?? 0));
    return matched;
  }

  get size(): number {
    return this.#order.size;
  }
}

/** Whether any of `routes` asked to run inside the store's transaction. */
export function hasTransactionalRoute(routes: readonly Route[]): boolean {
  for (const route of routes) if (route.options.transaction === true) return true;
  return false;
}

function validatePattern(pattern: unknown): asserts pattern is string {
  if (typeof pattern !== 'string' || pattern.length === 0) {
    throw new WebhookError(
      'ERR_HOOKGUARD_INVALID_OPTIONS',
      `receiver.on() needs an event type, a 'prefix.*' wildcard or '*'; received ${describe(pattern)}.`,
    );
  }
  const star = pattern.indexOf('*');
  if (star !== -1 && pattern !== '*' && !(star === pattern.length - 1 && pattern.endsWith('.*') && pattern.length > 2)) {
    throw new WebhookError(
      'ERR_HOOKGUARD_INVALID_OPTIONS',
      `receiver.on() got the pattern '${pattern}': only a trailing '.*' (as in 'message.*') or '*' alone is a wildcard.`,
    );
  }
}

function describe(value: unknown): string {
  return typeof value === 'string' ? `an empty string` : typeof value;
}
