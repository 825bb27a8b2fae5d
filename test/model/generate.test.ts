// generate() against a CPU loop over predict with the same random stream: at every step the
// loop predicts on the prompt and the tokens generated so far, and draws with the Float64
// twin of the sampling kernel (reference/sampling) and u = samplingUniform(seed, row, step).
import { describe, expect, test, vi } from 'vitest';
import { generate, layers, type Sequential, sequential } from '../../src/index.js';
import { samplingUniform } from '../../src/init/samplingStream.js';
import { sampleToken, type SamplingRule } from '../../src/reference/sampling.js';
import type { Gpu } from '../../src/runtime/device.js';
import { useGpu } from '../helpers/gpu.js';

const env = useGpu();
const V = 11;

/**
 * The tolerance of a draw (kernel test's bound, test/kernels/sampleToken.test.ts): the GPU's
 * token must be one whose cumulative interval comes within 2e-4 of the mass of the loop's
 * target. The loop's probabilities come from predict over the whole text, the generator's
 * from steps that carry the state: the same f32 kernels, so they agree to rounding (~1e-6).
 */
const MARGIN = 2e-4;

const MODELS: [string, (gpu: Gpu) => Sequential][] = [
  [
    'Embedding → LSTM → Dense softmax',
    (gpu) =>
      sequential(gpu, [
        layers.embedding({ inputDim: V, outputDim: 5, inputShape: [null], seed: 1 }),
        layers.lstm({ units: 9, returnSequences: true, seed: 2 }),
        layers.dense({ units: V, activation: 'softmax', seed: 3 }),
      ]),
  ],
  [
    'Embedding → GRU → SimpleRNN (last step) → Dropout → Dense softmax',
    (gpu) =>
      sequential(gpu, [
        layers.embedding({ inputDim: V + 2, outputDim: 4, inputShape: [null], seed: 4 }),
        layers.gru({ units: 7, returnSequences: true, seed: 5 }),
        layers.simpleRNN({ units: 6, seed: 6 }),
        layers.dropout({ rate: 0.3 }),
        layers.dense({ units: V, activation: 'softmax', seed: 7 }),
      ]),
  ],
  [
    'Embedding → LSTM → TimeDistributed(Dense) → Activation softmax',
    (gpu) =>
      sequential(gpu, [
        layers.embedding({ inputDim: V, outputDim: 3, inputShape: [null], seed: 8 }),
        layers.lstm({ units: 5, returnSequences: true, seed: 9 }),
        layers.timeDistributed({ layer: layers.dense({ units: V, seed: 10 }) }),
        layers.activation({ activation: 'softmax' }),
      ]),
  ],
];

const RULES: [string, SamplingRule & { suppressTokens?: number[] }][] = [
  ['temperature 1', { temperature: 1 }],
  ['greedy', { temperature: 0 }],
  ['temperature 0.7, top-k 4, suppressed 0', { temperature: 0.7, topK: 4, suppressTokens: [0] }],
  ['temperature 1.5, top-p 0.8', { temperature: 1.5, topP: 0.8 }],
];

/** Each row's last-step probabilities of predict over `ids` [rows][len]. */
async function lastProbabilities(model: Sequential, ids: number[][]): Promise<Float32Array[]> {
  const len = ids[0].length;
  const y = model.predict(Float32Array.from(ids.flat()), [ids.length, len]);
  const values = await y.data();
  y.dispose();
  const perRow = values.length / ids.length;
  return ids.map((_, r) => values.slice(r * perRow + perRow - V, (r + 1) * perRow));
}

describe('generate', () => {
  test.each(MODELS)('%s: the text of a CPU loop over predict', async (_, build) => {
    const { gpu } = env;
    const model = build(gpu);
    let exact = 0;
    let draws = 0;
    for (const [name, rule] of RULES) {
      for (const prompts of [
        [[3]],
        [
          [1, 4, 2],
          [5, 0, 9],
        ],
      ]) {
        const seed = 77 + draws;
        const steps = 9;
        const ours = await generate(model, { prompt: prompts, steps, ...rule, seed, tokensPerSubmit: 4 });
        expect(ours.map((row) => row.length)).toEqual(prompts.map(() => steps));
        const keep = Array.from({ length: V }, (_, i) => (rule.suppressTokens?.includes(i) ? 0 : 1));
        for (let i = 0; i < steps; i++) {
          const probabilities = await lastProbabilities(
            model,
            prompts.map((p, r) => [...p, ...ours[r].slice(0, i)]),
          );
          probabilities.forEach((p, r) => {
            const twin = sampleToken(p, { ...rule, keep }, samplingUniform(seed, r, i));
            draws++;
            if (twin.token === ours[r][i]) exact++;
            else expect(twin.near(MARGIN), `${name}, prompt ${r}, token ${i}: ours ${ours[r][i]}, the loop's ${twin.token}`).toContain(ours[r][i]);
          });
        }
        if (rule.suppressTokens) expect(ours.flat()).not.toContain(0);
      }
    }
    // A draw the loop makes differently is a near-tie of rounding: rare.
    expect(exact).toBeGreaterThanOrEqual(draws - 2);
    model.dispose();
  });

  test('one prompt in, one list out; a seed gives one text; chunks stream and can stop', async () => {
    const { gpu } = env;
    const model = MODELS[0][1](gpu);
    const before = gpu.memory().tensors;
    const a = await generate(model, { prompt: [2, 3], steps: 10, seed: 5 });
    const b = await generate(model, { prompt: Int32Array.of(2, 3), steps: 10, seed: 5 });
    const c = await generate(model, { prompt: [2, 3], steps: 10, seed: 6 });
    expect(a).toHaveLength(10);
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
    const submit = vi.spyOn(gpu, 'submit');
    const chunks: number[][] = [];
    const streamed = await generate(model, { prompt: [2, 3], steps: 10, seed: 5, tokensPerSubmit: 4, onChunk: (t) => void chunks.push(t) });
    const generating = submit.mock.calls.filter(([what]) => what.startsWith('generate'));
    expect(generating.map(([what]) => what)).toEqual(['generate tokens 0..3', 'generate tokens 4..7', 'generate tokens 8..9']);
    submit.mockRestore();
    expect(chunks).toEqual([a.slice(0, 4), a.slice(4, 8), a.slice(8)]);
    expect(streamed).toEqual(a);
    const stopped = await generate(model, { prompt: [2, 3], steps: 10, seed: 5, tokensPerSubmit: 3, onChunk: () => false });
    expect(stopped).toEqual(a.slice(0, 3));
    expect(await generate(model, { prompt: [2], steps: 0 })).toEqual([]);
    expect(gpu.memory().tensors).toBe(before);
    model.dispose();
  });

  test('a stateful model generates what a stateless one does, and keeps the state it ends in', async () => {
    const { gpu } = env;
    const build = (stateful: boolean) =>
      sequential(gpu, [
        layers.embedding({ inputDim: V, outputDim: 4, inputShape: [null], seed: 1 }),
        layers.lstm({ units: 6, returnSequences: true, stateful, seed: 2 }),
        layers.dense({ units: V, activation: 'softmax', seed: 3 }),
      ]);
    const [stateless, stateful] = [build(false), build(true)];
    const options = { prompt: [4, 1], steps: 8, seed: 9, temperature: 0.9 };
    const expected = await generate(stateless, options);
    expect(await generate(stateful, options)).toEqual(expected);
    const [h] = (await (stateful.layers[1] as unknown as { getStates(): Promise<Float32Array[]> }).getStates())!;
    expect(h.some((v) => v !== 0)).toBe(true);
    stateful.resetStates();
    expect(await generate(stateful, options)).toEqual(expected);
    stateless.dispose();
    stateful.dispose();
  });

  test('misuse: typed errors before the GPU is touched', async () => {
    const { gpu } = env;
    const model = MODELS[0][1](gpu);
    const ok = { prompt: [1], steps: 3 };
    const bad: [object, RegExp][] = [
      [{ ...ok, prompt: [] }, /prompt must be token ids/],
      [{ ...ok, prompt: [[1, 2], [3]] }, /one length/],
      [{ ...ok, prompt: [V] }, /prompt: token id 11/],
      [{ ...ok, steps: -1 }, /steps/],
      [{ ...ok, temperature: -1 }, /temperature/],
      [{ ...ok, topK: 0 }, /topK/],
      [{ ...ok, topP: 0 }, /topP/],
      [{ ...ok, topP: 1.5 }, /topP/],
      [{ ...ok, tokensPerSubmit: 0 }, /tokensPerSubmit/],
      [{ ...ok, suppressTokens: [V] }, /suppressTokens/],
      [{ ...ok, suppressTokens: Array.from({ length: V }, (_, i) => i) }, /suppresses all/],
      [{ ...ok, stepz: 3 }, /stepz/],
      [{ ...ok, onChunk: 3 }, /onChunk/],
    ];
    for (const [options, message] of bad) await expect(generate(model, options as never), JSON.stringify(options)).rejects.toThrow(message);
    const conv = sequential(gpu, [
      layers.embedding({ inputDim: V, outputDim: 4, inputShape: [null] }),
      layers.conv1d({ filters: 3, kernelSize: 2 }),
      layers.dense({ units: V, activation: 'softmax' }),
    ]);
    await expect(generate(conv, ok)).rejects.toThrow(/conv1d.*looks across steps/i);
    const linear = sequential(gpu, [
      layers.embedding({ inputDim: V, outputDim: 4, inputShape: [null] }),
      layers.lstm({ units: 3 }),
      layers.dense({ units: V }),
    ]);
    await expect(generate(linear, ok)).rejects.toThrow(/must end in a softmax/);
    const wide = sequential(gpu, [
      layers.embedding({ inputDim: V, outputDim: 4, inputShape: [null] }),
      layers.lstm({ units: 3 }),
      layers.dense({ units: V + 1, activation: 'softmax' }),
    ]);
    await expect(generate(wide, ok)).rejects.toThrow(/could not be fed back/);
    const backwards = sequential(gpu, [
      layers.embedding({ inputDim: V, outputDim: 4, inputShape: [null] }),
      layers.gru({ units: 3, goBackwards: true }),
      layers.dense({ units: V, activation: 'softmax' }),
    ]);
    await expect(generate(backwards, ok)).rejects.toThrow(/backwards in time/);
    for (const m of [conv, linear, wide, backwards]) m.dispose();
    model.dispose();
    await expect(generate(model, ok)).rejects.toThrow(/disposed/);
  });
});
