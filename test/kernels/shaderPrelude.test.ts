// shaders/step_prelude.wgsl is the one place `struct Step` is declared: no other shader file
// declares it, every step kernel's composed module holds it exactly once, and its fields are
// those packStep writes, in the same order. Reads source text only (no GPU).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import type { KernelSource } from '../../src/runtime/device.js';
import { gruStepBackwardKernel } from '../../src/kernels/gruStepBackward.js';
import { gruStepForwardKernel } from '../../src/kernels/gruStepForward.js';
import { lstmStepBackwardKernel } from '../../src/kernels/lstmStepBackward.js';
import { lstmStepForwardKernel } from '../../src/kernels/lstmStepForward.js';
import { simpleRnnStepBackwardKernel } from '../../src/kernels/simpleRnnStepBackward.js';
import { simpleRnnStepForwardKernel } from '../../src/kernels/simpleRnnStepForward.js';
import { packStep, STEP_BYTES, STEP_FIELDS } from '../../src/kernels/steps.js';

const SHADERS = fileURLToPath(new URL('../../shaders', import.meta.url));
const PRELUDE = 'step_prelude.wgsl';
const STEP_SHADERS = ['lstm', 'gru', 'simple_rnn'].flatMap((cell) => [`${cell}_step_forward.wgsl`, `${cell}_step_backward.wgsl`]);

/** `source` without its // comments (WGSL's block comments are not used in shaders/). */
function code(source: string): string {
  return source.replace(/\/\/.*$/gm, '');
}

function stepDeclarations(source: string): number {
  return code(source).match(/\bstruct\s+Step\b/g)?.length ?? 0;
}

/** The member names of `struct Step` in `source`, in declaration order. */
function stepMembers(source: string): string[] {
  const body = /\bstruct\s+Step\s*\{([^}]*)\}/.exec(code(source))?.[1];
  if (body === undefined) throw new Error('no struct Step');
  return body
    .split(',')
    .map((member) => member.trim())
    .filter((member) => member.length > 0)
    .map((member) => {
      const m = /^(\w+)\s*:\s*u32$/.exec(member);
      if (!m) throw new Error(`Step member '${member}' is not a u32`);
      return m[1];
    });
}

const read = (file: string) => readFileSync(join(SHADERS, file), 'utf8');

const rnn = { activation: 'tanh', recurrentActivation: 'sigmoid', rows: 4, masked: true, recurrentDropout: true } as const;
const KERNELS: [string, KernelSource][] = [
  ['lstm forward', lstmStepForwardKernel({ ...rnn, keep: true, form: 'main' })],
  ['lstm forward split-k', lstmStepForwardKernel({ ...rnn, keep: false, form: 'splitK' })],
  ['lstm forward persistent', lstmStepForwardKernel({ ...rnn, keep: true, form: 'persistent' })],
  ['lstm backward', lstmStepBackwardKernel({ ...rnn, dySeq: true, form: 'main' })],
  ['lstm backward persistent', lstmStepBackwardKernel({ ...rnn, dySeq: true, form: 'persistent' })],
  ['gru forward', gruStepForwardKernel({ ...rnn, resetAfter: false, keep: true, hasBias: true, phase: 1 })],
  ['gru forward persistent', gruStepForwardKernel({ ...rnn, resetAfter: true, keep: true, hasBias: true, phase: 0, form: 'persistent' })],
  ['gru backward', gruStepBackwardKernel({ ...rnn, resetAfter: true, dySeq: false, phase: 0 })],
  ['simple rnn forward', simpleRnnStepForwardKernel(rnn)],
  ['simple rnn forward persistent', simpleRnnStepForwardKernel({ ...rnn, form: 'persistent' })],
  ['simple rnn backward', simpleRnnStepBackwardKernel({ ...rnn, dySeq: true, form: 'main' })],
  ['simple rnn backward persistent', simpleRnnStepBackwardKernel({ ...rnn, dySeq: true, form: 'persistent' })],
];

describe('the step prelude', () => {
  test('no shader file but the prelude declares struct Step', () => {
    const files = readdirSync(SHADERS).filter((f) => f.endsWith('.wgsl'));
    expect(files).toEqual(expect.arrayContaining([PRELUDE, ...STEP_SHADERS]));
    const declaring = files.filter((f) => stepDeclarations(read(f)) > 0);
    expect(declaring).toEqual([PRELUDE]);
    expect(stepDeclarations(read(PRELUDE))).toBe(1);
  });

  test("Step's WGSL members are packStep's fields, in order", () => {
    expect(stepMembers(read(PRELUDE))).toEqual([...STEP_FIELDS]);
    // A uniform struct of u32 members is 4 bytes each, its size a multiple of 16.
    expect(STEP_BYTES).toBe(4 * STEP_FIELDS.length);
    expect(STEP_BYTES % 16).toBe(0);
    const words = packStep({ t: 1, B: 2, H: 3, T: 4, tIn: 5, finalPass: 6, reverse: 7 });
    expect(Object.fromEntries(STEP_FIELDS.map((f, i) => [f, words[i]]))).toEqual({ t: 1, B: 2, H: 3, T: 4, tIn: 5, finalPass: 6, reverse: 7, _pad0: 0 });
  });

  test('every step shader says it is composed with the prelude and defines weight_row', () => {
    for (const file of STEP_SHADERS) {
      const source = read(file);
      expect(source, file).toContain('step_prelude.wgsl');
      expect(code(source), file).toMatch(/\bfn weight_row\(k: u32, j: u32\) -> vec4f/);
      expect(code(source), file).toMatch(/\bvar<uniform> s: Step;/);
    }
  });

  test.each(KERNELS)('the composed %s module holds one struct Step, the prelude, then the shader', (_, kernel) => {
    const source = kernel.getShaderSource();
    expect(stepDeclarations(source)).toBe(1);
    expect(source).toContain(read(PRELUDE));
    expect(source).toContain(read('activations.wgsl'));
    expect(source.indexOf(read(PRELUDE))).toBeLessThan(source.indexOf('@compute'));
    // staged_matvec's hook, from the cell's shader or the backward step loop: once.
    expect(code(source).match(/\bfn staged_value\(b: u32, k: u32\) -> f32/g)).toHaveLength(1);
  });
});
