import { WebhookError } from './webhook-error.js';

/**
 * Every option a function takes, as the keys of a record: typed `Record<keyof Required<Options>, true>`,
 * so the compiler refuses a list that misses an option or names one the type lacks.
 */
export type OptionNames<Options extends object> = Readonly<Record<keyof Required<Options> & string, true>>;

/**
 * Throws `ERR_HOOKGUARD_INVALID_OPTIONS` for a property of `options` that `known` does not list,
 * naming the option probably meant. TypeScript refuses such a name in an object literal; untyped
 * JavaScript and options read from a file would otherwise have it ignored without a word
 * (`leaseMS: 300_000` left the lease at its default, `readonly: true` left an inspector's replay
 * on). `where` starts the message, e.g. `createReceiver()`.
 *
 * @example
 * ```ts
 * type Options = { leaseMs?: number };
 * const NAMES: OptionNames<Options> = { leaseMs: true };
 * refuseUnknownOptions('createThing()', { leaseMS: 5 } as Options, NAMES); // throws: "Did you mean 'leaseMs'?"
 * ```
 */
export function refuseUnknownOptions<Options extends object>(where: string, options: Options | undefined, known: OptionNames<Options>): void {
  if (typeof options !== 'object' || options === null) return;
  for (const name of Object.keys(options)) {
    if (Object.hasOwn(known, name)) continue;
    const names = Object.keys(known);
    const lower = name.toLowerCase();
    const near = names.find((candidate) => {
      const other = candidate.toLowerCase();
      return other === lower || other.startsWith(lower) || lower.startsWith(other);
    });
    throw new WebhookError(
      'ERR_HOOKGUARD_INVALID_OPTIONS',
      `${where}: unknown option '${name}'.${near === undefined ? '' : ` Did you mean '${near}'?`} The options are ${names.join(', ')}.`,
    );
  }
}
