import { fork } from 'node:child_process';
import { pairedFigure } from '../report/figures.js';
import { series } from '../report/statistics.js';
import type { BenchContext, BenchOutcome } from './benchmark.js';

type Measured = { map: number[]; store: number[] };

function measure(count: number, rounds: number): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const child = fork(new URL('./b8-memory-child.ts', import.meta.url), [String(count), String(rounds)], {
      execArgv: [...process.execArgv, '--expose-gc'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let answer: Measured | undefined;
    child.once('message', (message: Measured) => {
      answer = message;
      child.kill();
    });
    child.once('exit', (code) => (answer === undefined ? reject(new Error(`the B8 process exited with ${code}`)) : resolve(answer)));
  });
}

/**
 * B8: heap bytes per id the MemoryStore keeps for completed events, against a
 * `Map<string, number>` (id → expiry time) of the same ids, in a process of its own.
 */
export async function runB8(context: BenchContext): Promise<BenchOutcome> {
  const count = context.quick ? 100_000 : 1_000_000;
  const rounds = 3;
  const { map, store } = await measure(count, rounds);
  for (let round = 0; round < rounds; round++) {
    context.log(`    B8 round ${round + 1}/${rounds}: Map ${map[round]!.toFixed(1)} B/id, MemoryStore ${store[round]!.toFixed(1)} B/id`);
  }
  return {
    figures: [
      pairedFigure({
        id: 'B8',
        key: 'B8.memory',
        title: `MemoryStore heap bytes per completed id ÷ Map<string, number> of the same ids (${count.toLocaleString('en-US')} ids, key strings included)`,
        numerator: series('MemoryStore', 'B/id', store),
        denominator: series('Map<string, number>', 'B/id', map),
        goal: { op: '<=', value: 1.5 },
      }),
    ],
    skipped: [],
  };
}
