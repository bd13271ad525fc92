/**
 * Resolves once `condition` holds, checking every 20 ms; rejects after `timeoutMs` so a test fails
 * instead of hanging.
 *
 * @example
 * ```ts
 * await until(async () => (await queue.find(key))?.state === 'completed');
 * ```
 */
export async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
