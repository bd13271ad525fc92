/** A value with its unit, at a precision that suits its size. */
export function formatValue(value: number, unit: string): string {
  if (!Number.isFinite(value)) return '–';
  return `${formatNumber(value)} ${unit}`;
}

/** Three significant digits, with a k/M suffix for large values. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return '–';
  const magnitude = Math.abs(value);
  if (magnitude >= 1e6) return `${(value / 1e6).toPrecision(3)} M`;
  if (magnitude >= 1e4) return `${(value / 1e3).toPrecision(3)} k`;
  if (magnitude >= 100) return value.toFixed(0);
  if (magnitude >= 1) return value.toPrecision(3);
  if (magnitude === 0) return '0';
  if (magnitude < 1e-3) return value.toExponential(2);
  return value.toPrecision(3);
}

/** A ratio to two decimals (three below 0.1). */
export function formatRatio(value: number): string {
  if (!Number.isFinite(value)) return '–';
  return Math.abs(value) < 0.1 ? value.toPrecision(2) : value.toFixed(2);
}
