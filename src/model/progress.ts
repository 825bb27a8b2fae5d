// fit({ verbose: 1 }): a progress bar per epoch with the running loss and metrics and the
// steps per second, as TF.js in Node. In Node the bar is cli-progress's (terminalBar.node.ts, on
// a terminal); elsewhere, and when the output is not a terminal, one line an epoch.
import { terminalBar } from './terminalBar.node.js';
import type { Logs } from './trainingTypes.js';

export interface ProgressLogger {
  epochBegin(epoch: number): void;
  batchEnd(batch: number, logs: Logs): void;
  epochEnd(epoch: number, logs: Logs): void;
  stop(): void;
}

/** Logs as Keras prints them: `loss: 0.1234 - accuracy: 0.9000 - val_loss: …`. */
export function formatLogs(logs: Logs): string {
  return Object.entries(logs)
    .map(([k, v]) => `${k}: ${formatValue(v)}`)
    .join(' - ');
}

function formatValue(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(3) : v.toFixed(4);
}

/** A logger for `epochs` epochs of `batches` batches; `write` takes the epoch lines. */
export async function createProgressLogger(
  epochs: number,
  batches: number,
  write: (line: string) => void = (line) => console.log(line),
  /** false: one line an epoch only (Keras's verbose 2). */
  withBar = true,
): Promise<ProgressLogger> {
  const node = typeof process !== 'undefined' && process.versions?.node !== undefined;
  const bar =
    withBar && node ? await terminalBar('Epoch {epoch}/{epochs} [{bar}] {value}/{total} batches | {logs} | {speed} steps/s | ETA {eta_formatted}') : undefined;
  let started = 0;
  let epochOf = 0;
  // The epoch's running mean of each batch value, as Keras's bar shows it.
  let sums: Record<string, number> = {};
  const payload = (logs: Logs | undefined, done: number) => {
    const seconds = (performance.now() - started) / 1000;
    return { epoch: String(epochOf + 1), epochs: String(epochs), logs: logs ? formatLogs(logs) : '…', speed: seconds > 0 ? (done / seconds).toFixed(1) : '–' };
  };
  return {
    epochBegin(epoch) {
      epochOf = epoch;
      started = performance.now();
      sums = {};
      bar?.start(batches, 0, payload(undefined, 0));
    },
    batchEnd(batch, logs) {
      for (const [k, v] of Object.entries(logs)) sums[k] = (sums[k] ?? 0) + v;
      const running = Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, v / (batch + 1)])) as Logs;
      bar?.update(batch + 1, payload(running, batch + 1));
    },
    epochEnd(epoch, logs) {
      bar?.stop();
      const seconds = (performance.now() - started) / 1000;
      write(`Epoch ${epoch + 1}/${epochs} - ${seconds.toFixed(1)}s - ${(batches / Math.max(seconds, 1e-9)).toFixed(1)} steps/s - ${formatLogs(logs)}`);
    },
    stop() {
      bar?.stop();
    },
  };
}
