/** What the progress display shows. */
export type ProgressSnapshot = { done: number; total: number; deliveries: number; retries: number; replies: number };

/** Where progress goes: a TTY gets a redrawn bar, anything else a plain line now and then. */
export type ProgressOutput = { write: (text: string) => unknown; isTTY?: boolean };

const BAR_WIDTH = 28;

/**
 * Shows how far the demo is: a bar redrawn in place when `output` is a terminal, otherwise one
 * plain line every `lineIntervalMs`, so CI logs stay readable.
 */
export class Progress {
  readonly #output: ProgressOutput;
  readonly #read: () => ProgressSnapshot;
  readonly #tty: boolean;
  readonly #intervalMs: number;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(output: ProgressOutput, read: () => ProgressSnapshot, options: { lineIntervalMs?: number } = {}) {
    this.#output = output;
    this.#read = read;
    this.#tty = output.isTTY === true;
    this.#intervalMs = this.#tty ? 80 : (options.lineIntervalMs ?? 1_000);
  }

  start(): void {
    this.#timer = setInterval(() => this.#draw(), this.#intervalMs);
    this.#timer.unref();
    if (this.#tty) this.#draw();
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#draw();
    if (this.#tty) this.#output.write('\n');
  }

  #draw(): void {
    const snapshot = this.#read();
    const counts = `${snapshot.done}/${snapshot.total} events · ${snapshot.deliveries} deliveries · ${snapshot.retries} retries · ${snapshot.replies} replies`;
    if (!this.#tty) {
      this.#output.write(`progress: ${counts}\n`);
      return;
    }
    const filled = snapshot.total === 0 ? BAR_WIDTH : Math.round((snapshot.done / snapshot.total) * BAR_WIDTH);
    const percent = snapshot.total === 0 ? 100 : Math.floor((snapshot.done / snapshot.total) * 100);
    this.#output.write(`\r\x1b[2K[${'█'.repeat(filled)}${'░'.repeat(BAR_WIDTH - filled)}] ${String(percent).padStart(3)}%  ${counts}`);
  }
}
