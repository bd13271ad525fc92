/**
 * A JSON document of exactly `bytes` bytes: `fields` first (id, type, …), then a padding string
 * inside `data`, so every body parses to the same shape whatever its size.
 */
export function jsonBody(bytes: number, fields: Record<string, unknown>): Buffer {
  const head = `${JSON.stringify(fields).slice(0, -1)},"data":{"object":{"description":"`;
  const tail = '"}}}';
  const padding = bytes - head.length - tail.length;
  if (padding < 0) throw new Error(`a ${bytes}-byte body cannot hold ${head}`);
  const body = Buffer.from(head + 'x'.repeat(padding) + tail);
  JSON.parse(body.toString());
  return body;
}

/** The body sizes the verify benchmarks use. */
export const BODY_SIZES = [1024, 64 * 1024] as const;

/** `1 KB`, `64 KB`. */
export function sizeName(bytes: number): string {
  return `${bytes / 1024} KB`;
}
