import { refuseUnknownOptions, type OptionNames } from '../errors/unknown-options.js';
import { consoleLogger, type Logger } from '../logging/logger.js';
import { invalidOptions } from './verify-errors.js';

/** Options every verifier takes. */
export type CommonVerifierOptions = {
  /**
   * Clock in epoch milliseconds, for the timestamp tolerance. Inject one in tests.
   * @default Date.now
   */
  now?: () => number;
  /**
   * Where setup warnings go (a secret with stray whitespace). Verifiers never log per request.
   * @default consoleLogger (warnings and errors to the console)
   */
  logger?: Logger;
};

/** Default tolerance between the signed timestamp and the clock, in seconds, in both directions. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

/** Common options with their defaults applied. */
export type ResolvedCommonOptions = {
  now: () => number;
  logger: Logger;
};

/** Applies defaults to the common options, throwing `ERR_HOOKGUARD_INVALID_OPTIONS` on bad values. */
export function resolveCommonOptions(verifier: string, options: CommonVerifierOptions): ResolvedCommonOptions {
  if (options.now !== undefined && typeof options.now !== 'function') {
    throw invalidOptions(`${verifier}(): \`now\` must be a function returning epoch milliseconds.`);
  }
  const logger = options.logger ?? consoleLogger;
  if (typeof logger !== 'object' || logger === null || typeof logger.warn !== 'function') {
    throw invalidOptions(`${verifier}(): \`logger\` must have a \`warn(fields, message)\` method.`);
  }
  return { now: options.now ?? Date.now, logger };
}

/** Validates a tolerance in seconds: a finite number, zero or more. */
export function resolveTolerance(verifier: string, value: number | undefined): number {
  const tolerance = value ?? DEFAULT_TOLERANCE_SECONDS;
  if (typeof tolerance !== 'number' || !Number.isFinite(tolerance) || tolerance < 0) {
    throw invalidOptions(
      `${verifier}(): \`toleranceSeconds\` must be a finite number of seconds, 0 or more, received ` +
        `${String(value)}. Keep it at a few minutes: it only needs to cover clock skew and transit.`,
    );
  }
  return tolerance;
}

/** Validates an options object itself: an object, with no option `known` does not list. */
export function requireOptions<T extends object>(verifier: string, options: T | undefined, known: OptionNames<T>): T {
  if (typeof options !== 'object' || options === null) {
    throw invalidOptions(`${verifier}(): pass an options object, e.g. ${verifier}({ secret: process.env.SECRET }).`);
  }
  refuseUnknownOptions(`${verifier}()`, options, known);
  return options;
}

/** Validates a retention in milliseconds. */
export function resolveRetention(verifier: string, value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw invalidOptions(`${verifier}(): \`retentionMs\` must be a positive number of milliseconds.`);
  }
  return value;
}
