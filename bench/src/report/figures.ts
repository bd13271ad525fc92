import { pairedRatios, series, type Series } from './statistics.js';

/** A target a ratio must reach: `>= 0.85`, `<= 1.25`. */
export type Goal = { op: '>=' | '<='; value: number };

/** One reported ratio: two sides measured in the same rounds, and their per-round ratio. */
export type Figure = {
  /** The benchmark it belongs to (`B1` … `B8`). */
  id: string;
  /** Unique within a run, stable between runs, for comparing result files (`B1.fastify.cpu`). */
  key: string;
  /** What the ratio means, numerator ÷ denominator. */
  title: string;
  /** Per-round ratios; the median is the figure. */
  ratio: Series;
  /** Absent for figures reported as information only. */
  goal: Goal | undefined;
  status: 'pass' | 'miss' | 'info';
  numerator: Series;
  denominator: Series;
  /** Caveats a reader needs to interpret the figure (a saturated load generator, a small sample). */
  notes: string[];
  /** Anything else measured alongside (CPU shares, request counts). */
  details?: Record<string, unknown>;
};

/** A benchmark that did not run, and why. */
export type Skipped = { id: string; reason: string };

/** Judges a ratio against its goal. */
export function judge(ratio: number, goal: Goal | undefined): Figure['status'] {
  if (goal === undefined) return 'info';
  if (!Number.isFinite(ratio)) return 'miss';
  return goal.op === '>=' ? (ratio >= goal.value ? 'pass' : 'miss') : ratio <= goal.value ? 'pass' : 'miss';
}

/** Parameters of {@link pairedFigure}. */
export type PairedFigureInput = {
  id: string;
  key: string;
  title: string;
  numerator: Series;
  denominator: Series;
  goal?: Goal;
  notes?: string[];
  details?: Record<string, unknown>;
};

/** A figure whose ratio is numerator ÷ denominator, round by round. */
export function pairedFigure(input: PairedFigureInput): Figure {
  const ratios = pairedRatios(input.numerator.runs, input.denominator.runs);
  const ratio = series(`${input.numerator.label} ÷ ${input.denominator.label}`, '×', ratios);
  const figure: Figure = {
    id: input.id,
    key: input.key,
    title: input.title,
    ratio,
    goal: input.goal,
    status: judge(ratio.median, input.goal),
    numerator: input.numerator,
    denominator: input.denominator,
    notes: input.notes ?? [],
  };
  if (input.details !== undefined) figure.details = input.details;
  return figure;
}

/** How a goal reads in a table: `≥ 0.85`. */
export function goalText(goal: Goal | undefined): string {
  if (goal === undefined) return 'info';
  return `${goal.op === '>=' ? '≥' : '≤'} ${goal.value}`;
}
