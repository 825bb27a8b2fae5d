// Every kernel has a micro-benchmark (bench/kernels/): each shader under shaders/ with an
// `@compute` entry point is the name of a bench in KERNEL_BENCHES, or a fragment listed below,
// composed into other kernels' modules and timed by their benches. Reads files and the
// registry only: no GPU.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { KERNEL_BENCHES } from '../../bench/kernels/registry.js';
import { lstmForwardForm } from '../../src/kernels/lstmStepForward.js';
import { runsPersistent } from '../../src/kernels/steps.js';

const SHADERS = new URL('../../shaders/', import.meta.url);

/** A shader's text without its line comments (a comment may mention `@compute`). */
const shaderCode = (name: string): string => readFileSync(new URL(`${name}.wgsl`, SHADERS), 'utf8').replace(/\/\/.*$/gm, '');

const shaderNames = (): string[] =>
  readdirSync(SHADERS)
    .filter((f) => f.endsWith('.wgsl'))
    .map((f) => f.slice(0, -'.wgsl'.length))
    .sort();

/** The kernels: shaders with an entry point (the others are preludes and step bodies that compose.ts puts before one). */
const computeShaders = (): string[] => shaderNames().filter((name) => /@compute\b/.test(shaderCode(name)));

/** The entry point a step bench's case runs (the LSTM forward's forms: lstmForwardForm; the others main or main_persistent). */
function stepEntry(bench: string, { B, H }: { B: number; H: number }): string {
  if (bench === 'lstm_step_forward') return { main: 'main', splitK: 'main_split_k', persistent: 'main_persistent' }[lstmForwardForm(B, H)];
  return runsPersistent(B, H) ? 'main_persistent' : 'main';
}

const FORWARD_STEPS = ['lstm_step_forward', 'gru_step_forward', 'simple_rnn_step_forward'];

interface Covered {
  /** The benches whose kernels' modules hold it. */
  by: string[];
  entry: string;
  why: string;
  /** Where a bench's cases take different entry points: the one a case runs (some case must run `entry`). */
  caseEntry?: (bench: string, c: { B: number; H: number }) => string;
}

/**
 * Shaders with an entry point but no bench of that name: src/kernels/compose.ts appends each to
 * other kernels' modules (WGSL has no include), whose benches run `entry` in some case.
 */
const COVERED_ELSEWHERE: Record<string, Covered> = {
  forward_steps: {
    by: FORWARD_STEPS,
    entry: 'main',
    why: "one dispatch a step, withForwardSteps after each cell's shader (the LSTM's where it is neither persistent nor split-k)",
    caseEntry: stepEntry,
  },
  persistent_steps: {
    by: FORWARD_STEPS,
    entry: 'main_persistent',
    why: 'the whole sequence in one dispatch where runsPersistent (withForwardSteps)',
    caseEntry: stepEntry,
  },
  backward_steps: {
    by: ['lstm_step_backward', 'simple_rnn_step_backward'],
    entry: 'main',
    why: 'one dispatch a step, withBackwardSteps after the LSTM and SimpleRNN backward bodies (the GRU has its own main)',
    caseEntry: stepEntry,
  },
  persistent_backward: {
    by: ['lstm_step_backward', 'gru_step_backward', 'simple_rnn_step_backward'],
    entry: 'main_persistent',
    why: 'the whole backward in one dispatch where runsPersistent (withBackwardSteps, withPersistentBackward)',
    caseEntry: stepEntry,
  },
  embedding_segment_sum: {
    by: ['embedding_sort'],
    entry: 'main',
    why: "the sorted Embedding gradient's last dispatch, after the sort: embedding_sort times encodeEmbeddingSortedGradient whole",
  },
};

describe('kernel micro-benchmark coverage', () => {
  test('every shader with an entry point has a bench, or is listed as covered by others', () => {
    const missing = computeShaders().filter((name) => !KERNEL_BENCHES.has(name) && !(name in COVERED_ELSEWHERE));
    expect(missing, 'add a bench in bench/kernels/ (see bench/README.md) or, for a fragment, an entry in COVERED_ELSEWHERE').toEqual([]);
  });

  test('every bench is named after a shader', () => {
    const shaders = new Set(shaderNames());
    expect([...KERNEL_BENCHES.keys()].filter((name) => !shaders.has(name))).toEqual([]);
  });

  test.each(Object.entries(COVERED_ELSEWHERE))('%s: its entry point, in benches that run it', (name, { by, entry, caseEntry }) => {
    expect(computeShaders(), 'a listed fragment that no longer exists or has no entry point').toContain(name);
    expect(KERNEL_BENCHES.has(name), 'a listed fragment with a bench of its own: drop the entry').toBe(false);
    expect(shaderCode(name)).toMatch(new RegExp(`@compute[^{]*\\bfn ${entry}\\(`));
    for (const benchName of by) {
      const bench = KERNEL_BENCHES.get(benchName);
      expect(bench, `${benchName}: no such bench`).toBeDefined();
      if (!caseEntry) continue;
      const cases = [...bench!.cases(true), ...bench!.cases(false)];
      expect(
        cases.map((c) => caseEntry(benchName, c)),
        `${benchName}: no case runs ${entry}`,
      ).toContain(entry);
    }
  });
});
