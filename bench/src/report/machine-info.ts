import { readFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem, type } from 'node:os';

/** Where a run happened, so figures from different machines are not compared blindly. */
export type MachineInfo = {
  node: string;
  v8: string;
  os: string;
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  /** 1-minute load average when the run started: above the core count, others were busy too. */
  loadAverageAtStart: number;
};

function cpuModel(): string {
  try {
    const match = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (match?.[1] !== undefined) return match[1].trim();
  } catch {
    // Not Linux: fall back to what Node reports.
  }
  return cpus()[0]?.model ?? 'unknown';
}

/** Reads the machine's description. */
export function machineInfo(): MachineInfo {
  return {
    node: process.version,
    v8: process.versions.v8,
    os: `${type()} ${release()}`,
    cpuModel: cpuModel(),
    cores: cpus().length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    loadAverageAtStart: Math.round(loadavg()[0]! * 100) / 100,
  };
}
