/** Structured fields attached to a log line. Never contains secrets or payloads. */
export type LogFields = Record<string, unknown>;

/**
 * Where hookguard writes. Any of pino, winston, `console` or Fastify's `request.log` fits: each
 * method takes a fields object and a message.
 */
export interface Logger {
  debug?(fields: LogFields, message: string): void;
  info?(fields: LogFields, message: string): void;
  warn(fields: LogFields, message: string): void;
  error(fields: LogFields, message: string): void;
}

/** The default logger: warnings and errors to the console, nothing else. */
export const consoleLogger: Logger = {
  warn: (fields, message) => console.warn(`[hookguard] ${message}`, fields),
  error: (fields, message) => console.error(`[hookguard] ${message}`, fields),
};

/** A logger that discards everything. */
export const silentLogger: Logger = {
  warn: () => undefined,
  error: () => undefined,
};
