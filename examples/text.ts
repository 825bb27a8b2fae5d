// Character-level language model on Moby-Dick: Embedding → LSTM → LSTM → Dense softmax on
// every step (each window of N characters predicts the next character at every position),
// sparse categorical cross-entropy. Held out: the end of the book. Prints held-out bits per
// character against add-k unigram and bigram models, and a passage sampled with a temperature.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { generate, layers, sequential, tensor, Tokenizer, type Sequential } from '../src/index.js';
import { openGpu, realNumber, seconds, wholeNumber } from './lib/common.js';
import { bigramBits, unigramBits } from './lib/metrics.js';
import { loadMobyDick } from './lib/mobyDick.js';

export const description = 'character-level LSTM language model on Moby-Dick, against unigram and bigram baselines';

/** Stands for characters of the held-out text never seen in training (tokenizer index 1). */
const UNKNOWN = '\u{fffd}';

interface TextOptions {
  chars: number;
  heldout: number;
  epochs: number;
  units: number;
  embedding: number;
  steps: number;
  batchSize: number;
  learningRate: number;
  temperature: number;
  topK?: number;
  length: number;
  seed: number;
  save: string;
}

function parseOptions(argv: string[]): TextOptions {
  const program = new Command('text')
    .description(description)
    .option('--chars <n>', 'characters of training text, from the start of the book', wholeNumber(2), 300_000)
    .option('--heldout <n>', 'characters held out at the end of the book', wholeNumber(2), 20_000)
    .option('--epochs <n>', 'passes over the training text', wholeNumber(), 1)
    .option('--units <n>', 'units of each of the two LSTM layers', wholeNumber(), 64)
    .option('--embedding <n>', 'size of the character embedding', wholeNumber(), 32)
    .option('--steps <n>', 'characters per training window (N)', wholeNumber(2), 32)
    .option('--batch-size <n>', 'windows per training step', wholeNumber(), 64)
    .option('--learning-rate <x>', 'Adam learning rate', realNumber(0), 0.02)
    .option('--temperature <x>', 'sampling temperature of the generated passage (0: greedy)', realNumber(0), 0.6)
    .option('--top-k <n>', 'draw each character among the k likeliest only', wholeNumber())
    .option('--length <n>', 'characters to generate', wholeNumber(0), 400)
    .option('--seed <n>', 'seed of initialization, shuffling and sampling', wholeNumber(0), 1)
    .option('--save <dir>', 'where the trained model goes', 'examples/models/text');
  program.parse(argv, { from: 'user' });
  return program.opts<TextOptions>();
}

export async function main(argv: string[]): Promise<void> {
  const o = parseOptions(argv);
  const book = loadMobyDick();
  if (o.chars + o.heldout > book.length) {
    throw new Error(`--chars ${o.chars} and --heldout ${o.heldout} need ${o.chars + o.heldout} characters; the book has ${book.length}.`);
  }
  const trainText = book.slice(0, o.chars);
  const heldText = book.slice(book.length - o.heldout);

  // Lower-cased characters; index 0 is padding (never a target), 1 the unknown character.
  const tokenizer = new Tokenizer({ charLevel: true, oovToken: UNKNOWN });
  tokenizer.fitOnTexts([trainText]);
  const [train] = tokenizer.textsToSequences([trainText]);
  const [held] = tokenizer.textsToSequences([heldText]);
  const classes = tokenizer.wordIndex.size + 1;
  console.log(`Moby-Dick: ${train.length} training characters, ${held.length} held out (the end of the book), ${classes - 2} distinct characters`);

  const gpu = await openGpu();
  try {
    const model = sequential(gpu, [
      layers.embedding({ inputDim: classes, outputDim: o.embedding, inputShape: [o.steps], seed: o.seed }),
      layers.lstm({ units: o.units, returnSequences: true, seed: o.seed + 1 }),
      layers.lstm({ units: o.units, returnSequences: true, seed: o.seed + 2 }),
      layers.dense({ units: classes, activation: 'softmax', seed: o.seed + 3 }),
    ]);
    model.compile({ optimizer: { name: 'adam', learningRate: o.learningRate, clipnorm: 5 }, loss: 'sparseCategoricalCrossentropy' });
    model.summary();

    // Window w: x = train[w·N, w·N + N), y = the same shifted by one character.
    const windows = Math.floor((train.length - 1) / o.steps);
    if (windows < 1) throw new Error(`--chars ${o.chars} gives no window of ${o.steps} + 1 characters.`);
    const x = new Float32Array(windows * o.steps);
    const y = new Float32Array(windows * o.steps);
    for (let w = 0; w < windows; w++) {
      for (let t = 0; t < o.steps; t++) {
        x[w * o.steps + t] = train[w * o.steps + t];
        y[w * o.steps + t] = train[w * o.steps + t + 1];
      }
    }
    const xs = tensor(gpu, x, [windows, o.steps]);
    const ys = tensor(gpu, y, [windows, o.steps]);
    console.log(`Training on ${windows} windows of ${o.steps} characters, batches of ${o.batchSize}, ${o.epochs} epoch(s):`);
    const start = performance.now();
    await model.fit(xs, ys, { epochs: o.epochs, batchSize: o.batchSize, seed: o.seed, verbose: 1 });
    xs.dispose();
    ys.dispose();
    console.log(`Trained in ${seconds(start)}.`);

    const lstmBits = await heldOutBits(model, held, o.steps, classes);
    const unigram = unigramBits(train, held, classes, 1);
    const bigram = bigramBits(train, held, classes, 0.1);
    const verdict =
      lstmBits < bigram ? 'beats both baselines' : lstmBits < unigram ? 'beats the unigram baseline, not the bigram one' : 'beats neither baseline';
    console.log(
      `Held-out bits per character: LSTM ${lstmBits.toFixed(3)}, unigram (add-1) ${unigram.toFixed(3)}, bigram (add-0.1) ${bigram.toFixed(3)}: the LSTM ${verdict}.`,
    );

    await model.save(o.save);
    writeFileSync(join(o.save, 'tokenizer.json'), JSON.stringify(tokenizer));
    console.log(`Saved the model and its tokenizer to ${o.save}`);

    if (o.length > 0) {
      const prime = heldText.slice(0, Math.min(heldText.length, 2 * o.steps));
      const passage = await generatePassage(model, tokenizer, o, prime);
      console.log(`Generated at temperature ${o.temperature}, after "${prime.replace(/\n/g, ' ')}":\n---\n${passage}\n---`);
    }
    model.dispose();
  } finally {
    gpu.destroy();
  }
}

/**
 * Mean bits per character of held[1..n), each predicted from up to N characters before it.
 * Windows of N start every N/2 characters; each target is counted once, in the first window
 * that reaches it, so every target after the first window has at least N/2 characters of
 * context, as the bigram and unigram figures cover the same targets.
 */
async function heldOutBits(model: Sequential, held: number[], steps: number, classes: number): Promise<number> {
  if (held.length < steps + 1) throw new Error(`--heldout must be at least --steps + 1 characters (${steps + 1}).`);
  const starts: number[] = [];
  for (let s = 0; s + steps + 1 <= held.length; s += Math.max(1, steps >> 1)) starts.push(s);
  if (starts[starts.length - 1] + steps + 1 < held.length) starts.push(held.length - steps - 1);
  let bits = 0;
  let counted = 0;
  // Targets held[covered + 1 …] are not counted yet.
  let covered = 0;
  const chunk = 256;
  for (let c = 0; c < starts.length; c += chunk) {
    const batch = starts.slice(c, c + chunk);
    const x = new Float32Array(batch.length * steps);
    batch.forEach((s, b) => x.set(held.slice(s, s + steps), b * steps));
    const out = model.predict(x, [batch.length, steps]);
    // probabilities: [batch, steps, classes]
    const probabilities = await out.data();
    out.dispose();
    batch.forEach((s, b) => {
      for (let t = 0; t < steps; t++) {
        const target = s + t + 1;
        if (target <= covered) continue;
        const p = probabilities[(b * steps + t) * classes + held[target]];
        bits -= Math.log2(Math.max(p, 1e-12));
        counted++;
      }
      covered = Math.max(covered, s + steps);
    });
  }
  return bits / counted;
}

/**
 * `length` characters generated after `prime` on the GPU (the LSTMs carrying their state
 * from the prime on), 32 a submit; neither padding (0) nor the unknown character (1) is drawn.
 */
async function generatePassage(model: Sequential, tokenizer: Tokenizer, o: TextOptions, prime: string): Promise<string> {
  const [prompt] = tokenizer.textsToSequences([prime]);
  const ids = await generate(model, { prompt, steps: o.length, temperature: o.temperature, topK: o.topK, seed: o.seed, suppressTokens: [0, 1] });
  return ids.map((id) => tokenizer.indexWord.get(id) ?? UNKNOWN).join('');
}
