// Strings PostgreSQL's jsonb refuses (U+0000, lone surrogates): the completion then fails and fn
// runs again after the lease (issue 14, item 8). Refused up front, in every store, so a result
// that works in tests on one store cannot fail in production on another.
const UNSTORABLE_TEXT = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * Why `value` would not survive a JSON round trip unchanged in every store, or `undefined` when it
 * would. Plain objects, arrays, strings, finite numbers, booleans and `null` pass; object properties
 * that are `undefined` are dropped by JSON and allowed. Everything else (a `Date`, a `Map`, a class
 * instance, `NaN`, a `bigint`, a function, a cycle, a string or property name holding U+0000 or a
 * lone surrogate) is named with its path, e.g. `result.items[2]`.
 */
export function whyNotJson(value: unknown, path = 'result'): string | undefined {
  return check(value, path, new Set());
}

function check(value: unknown, path: string, ancestors: Set<object>): string | undefined {
  if (value === null || typeof value === 'boolean') return undefined;
  if (typeof value === 'string') return unstorableText(value, path);
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : `${path} is ${String(value)}, which JSON stores as null`;
  if (typeof value !== 'object') return `${path} is a ${typeof value}, which JSON cannot store`;
  if (ancestors.has(value)) return `${path} is a circular reference`;
  ancestors.add(value);
  try {
    if (Array.isArray(value)) {
      for (let index = 0; index < value.length; index++) {
        const item: unknown = value[index];
        const itemPath = `${path}[${index}]`;
        // JSON turns a hole or an undefined array item into null: the stored array would differ.
        if (item === undefined) return `${itemPath} is undefined, which JSON stores as null`;
        const reason = check(item, itemPath, ancestors);
        if (reason !== undefined) return reason;
      }
      return undefined;
    }
    const prototype: unknown = Object.getPrototypeOf(value);
    if (prototype !== Object.prototype && prototype !== null) {
      const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
      return `${path} is a ${typeof name === 'string' && name !== '' ? name : 'class instance'}, which JSON does not store as it is`;
    }
    for (const [key, item] of Object.entries(value)) {
      if (item === undefined) continue;
      // JSON.stringify escapes U+0000 and lone surrogates, so the path itself stays printable.
      const itemPath = `${path}${/^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`}`;
      const keyReason = UNSTORABLE_TEXT.test(key) ? unstorableText(key, `the property name of ${itemPath}`) : undefined;
      if (keyReason !== undefined) return keyReason;
      const reason = check(item, itemPath, ancestors);
      if (reason !== undefined) return reason;
    }
    return undefined;
  } finally {
    ancestors.delete(value);
  }
}

function unstorableText(text: string, path: string): string | undefined {
  const found = UNSTORABLE_TEXT.exec(text);
  if (found === null) return undefined;
  const unit = found[0].charCodeAt(0);
  const what = unit === 0 ? 'U+0000 (NUL)' : `a lone surrogate (\\u${unit.toString(16)})`;
  return `${path} holds ${what} at index ${found.index}, which PostgreSQL's jsonb cannot store (refused in every store so that all behave alike)`;
}

/** What JSON does not keep as it is, wherever it sits in a result (`whyNotJson` checks the rest at run time). */
type NotJson =
  | Date
  | RegExp
  | Map<unknown, unknown>
  | Set<unknown>
  | WeakMap<object, unknown>
  | WeakSet<object>
  | Promise<unknown>
  | Error
  | ArrayBuffer
  | ArrayBufferView
  | bigint
  | symbol
  | ((...args: never[]) => unknown);

/**
 * `T` with every part JSON would not store as it is (a `Date`, a `Map`, a `bigint`, a function
 * or method, …) turned into `never`: a result type that is not JSON data is refused at compile
 * time, before `fn` has acted and its result has nowhere to go. Plain objects, arrays, strings,
 * numbers, booleans, `null`, `undefined` and `unknown` pass unchanged.
 */
export type JsonData<T> = T extends NotJson ? never : T extends object ? { [K in keyof T]: JsonData<T[K]> } : T;
