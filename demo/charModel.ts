// The character model (Embedding → LSTM → Dense softmax at every step) and text generation
// from it on the GPU (library generate, the state carried from the seed on).
import { Dense, Embedding, generate as generateTokens, layers, Lstm, type Random, sequential, type Gpu, type Sequential } from '../src/index.js';
import { decode, encode, VOCABULARY } from './corpus.js';

export interface ModelSize {
  /** LSTM units. */
  units: number;
  /** Characters a training window (and the generation context) holds. */
  steps: number;
  /** Width of the character embedding. */
  embedding: number;
}

export function buildModel(gpu: Gpu, size: ModelSize, seed: number, learningRate: number): Sequential {
  const model = sequential(gpu, [
    layers.embedding({ inputDim: VOCABULARY.length, outputDim: size.embedding, inputShape: [size.steps], seed }),
    layers.lstm({ units: size.units, returnSequences: true, seed: seed + 1 }),
    layers.dense({ units: VOCABULARY.length, activation: 'softmax', seed: seed + 2 }),
  ]);
  compile(model, learningRate);
  return model;
}

/** Adam with a global gradient norm clip: a character LSTM trains fast and stays stable with it. */
export function compile(model: Sequential, learningRate: number): void {
  model.compile({ optimizer: { name: 'adam', learningRate, globalClipnorm: 1 }, loss: 'sparseCategoricalCrossentropy' });
}

/** The window length of a (loaded) model: its Embedding's inputShape. */
export function modelSteps(model: Sequential): number {
  return model.layers[0].inputShape?.[0] ?? -1;
}

/** "Embedding(39 → 16) → LSTM(64) → Dense(39, softmax)" (other layers by their name). */
export function describe(model: Sequential): string {
  return model.layers
    .map((l) => {
      if (l instanceof Embedding) return `Embedding(${VOCABULARY.length} → ${l.outputDim})`;
      if (l instanceof Lstm) return `LSTM(${l.config.units})`;
      if (l instanceof Dense) return `Dense(${l.config.units}, ${l.config.activation})`;
      return l.name;
    })
    .join(' → ');
}

/** Checks that a loaded model reads and writes this page's characters; the reason if not. */
export function incompatibility(model: Sequential): string | undefined {
  const steps = modelSteps(model);
  const out = model.outputShape();
  if (!(steps > 0)) return 'its first layer has no fixed window length (an Embedding with inputShape [steps] is expected)';
  if (out.length !== 2 || out[1] !== VOCABULARY.length) {
    return `it predicts [${out.join(', ')}] per window; this page needs [${steps}, ${VOCABULARY.length}] (a softmax over ${VOCABULARY.length} characters at every step)`;
  }
  return undefined;
}

export interface GenerateOptions {
  /** The context; its last `steps` characters are used (it must hold at least that many). */
  seed: string;
  length: number;
  temperature: number;
  random: Random;
  /** Called with each new character (to show the text as it comes). */
  onChar?: (c: string) => void;
  /** Asked before each character; true stops early. */
  cancelled?: () => boolean;
}

/**
 * Generates `length` characters after `seed` on the GPU (library `generate`): the seed's last
 * `steps` characters as the prompt, then the LSTM carrying its state, 8 characters a submit.
 */
export async function generate(model: Sequential, options: GenerateOptions): Promise<string> {
  const steps = modelSteps(model);
  const context = encode(options.seed.slice(-steps));
  if (context.length !== steps) throw new Error(`generate: the seed needs ${steps} characters, got ${context.length}.`);
  if (options.cancelled?.()) return '';
  let out = '';
  await generateTokens(model, {
    prompt: context,
    steps: options.length,
    temperature: options.temperature,
    seed: options.random.int(2 ** 31),
    tokensPerSubmit: 8,
    onChunk: (ids) => {
      for (const id of ids) {
        const c = decode(id);
        out += c;
        options.onChar?.(c);
      }
      return !options.cancelled?.();
    },
  });
  return out;
}
