// Sequence to sequence, character level: dates written out in words ("the third of march 1987",
// "march 3, 1987", "3 mar 1987", …) → ISO dates ("1987-03-03"), on a generated corpus. An
// encoder LSTM reads the source; its final state (h, c) seeds a decoder LSTM that is trained
// with teacher forcing (it reads the target shifted by one step) and decodes greedily after.
// Prints the exact-match accuracy on held-out pairs against a per-position majority baseline,
// a few decoded examples, and saves the model (with its vocabularies).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { encoderDecoder, layers, Random, type EncoderDecoder } from '../src/index.js';
import { epochLogger, openGpu, percent, realNumber, seconds, wholeNumber } from './lib/common.js';

export const description = 'encoder–decoder LSTM translating dates in words to ISO dates, against a per-position majority baseline';

interface Seq2seqOptions {
  pairs: number;
  heldout: number;
  epochs: number;
  units: number;
  embedding: number;
  batchSize: number;
  learningRate: number;
  examples: number;
  beamWidth: number;
  seed: number;
  save: string;
}

function parseOptions(argv: string[]): Seq2seqOptions {
  const program = new Command('seq2seq')
    .description(description)
    .option('--pairs <n>', 'training pairs (distinct sources)', wholeNumber(10), 4000)
    .option('--heldout <n>', 'held-out pairs, none of whose sources is among the training pairs', wholeNumber(1), 500)
    .option('--epochs <n>', 'passes over the training pairs (12 reach ~90 % exact match; fewer run faster)', wholeNumber(), 12)
    .option('--units <n>', 'units of the encoder and decoder LSTMs', wholeNumber(), 64)
    .option('--embedding <n>', 'size of the character embeddings', wholeNumber(), 16)
    .option('--batch-size <n>', 'pairs per training step', wholeNumber(), 32)
    .option('--learning-rate <x>', 'Adam learning rate', realNumber(0), 0.01)
    .option('--examples <n>', 'held-out pairs to print', wholeNumber(0), 8)
    .option('--beam-width <n>', 'beams of the decoding (1: greedy)', wholeNumber(1), 1)
    .option('--seed <n>', 'seed of the corpus, initialization and shuffling', wholeNumber(0), 1)
    .option('--save <dir>', 'where the trained model goes', 'examples/models/seq2seq');
  program.parse(argv, { from: 'user' });
  return program.opts<Seq2seqOptions>();
}

// ---- The corpus -----------------------------------------------------------------------------

const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];
const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
const UNITS = [
  '',
  'one',
  'two',
  'three',
  'four',
  'five',
  'six',
  'seven',
  'eight',
  'nine',
  'ten',
  'eleven',
  'twelve',
  'thirteen',
  'fourteen',
  'fifteen',
  'sixteen',
  'seventeen',
  'eighteen',
  'nineteen',
];
const ORDINAL_UNITS = [
  '',
  'first',
  'second',
  'third',
  'fourth',
  'fifth',
  'sixth',
  'seventh',
  'eighth',
  'ninth',
  'tenth',
  'eleventh',
  'twelfth',
  'thirteenth',
  'fourteenth',
  'fifteenth',
  'sixteenth',
  'seventeenth',
  'eighteenth',
  'nineteenth',
];

/** 1 … 31 in words: "third", "twenty-first", "thirtieth". */
function ordinal(day: number): string {
  if (day < 20) return ORDINAL_UNITS[day];
  const [tens, unit] = [Math.floor(day / 10), day % 10];
  if (unit === 0) return tens === 2 ? 'twentieth' : 'thirtieth';
  return `${tens === 2 ? 'twenty' : 'thirty'}-${ORDINAL_UNITS[unit]}`;
}

/** 1 … 31 in words: "three", "twenty-one". */
function cardinal(day: number): string {
  if (day < 20) return UNITS[day];
  const [tens, unit] = [Math.floor(day / 10), day % 10];
  return `${tens === 2 ? 'twenty' : 'thirty'}${unit ? `-${UNITS[unit]}` : ''}`;
}

/** "3rd", "21st", "12th". */
function numbered(day: number): string {
  const suffix = day % 10 === 1 && day !== 11 ? 'st' : day % 10 === 2 && day !== 12 ? 'nd' : day % 10 === 3 && day !== 13 ? 'rd' : 'th';
  return `${day}${suffix}`;
}

/** Ways of writing a date (month 0-based), each as common as the others. */
const FORMATS: ((d: number, m: number, y: number, weekday: string) => string)[] = [
  (d, m, y) => `the ${ordinal(d)} of ${MONTHS[m]} ${y}`,
  (d, m, y) => `${MONTHS[m]} ${d}, ${y}`,
  (d, m, y) => `${d} ${MONTHS[m].slice(0, 3)} ${y}`,
  (d, m, y) => `${MONTHS[m]} the ${ordinal(d)}, ${y}`,
  (d, m, y) => `${numbered(d)} of ${MONTHS[m]} ${y}`,
  (d, m, y, w) => `${w}, ${MONTHS[m]} ${d}, ${y}`,
  (d, m, y) => `${cardinal(d)} ${MONTHS[m]} ${y}`,
  (d, m, y) => `${d}.${m + 1}.${y}`,
];

interface Pair {
  source: string;
  target: string;
}

/** `count` pairs of distinct sources: a uniform date in 1950–2049, written in a uniform format. */
function generatePairs(count: number, random: Random): Pair[] {
  const first = Date.UTC(1950, 0, 1);
  const days = (Date.UTC(2050, 0, 1) - first) / 86_400_000;
  const seen = new Set<string>();
  const pairs: Pair[] = [];
  while (pairs.length < count) {
    const date = new Date(first + random.int(days) * 86_400_000);
    const [y, m, d] = [date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()];
    const source = FORMATS[random.int(FORMATS.length)](d, m, y, WEEKDAYS[date.getUTCDay()]);
    if (seen.has(source)) continue;
    seen.add(source);
    pairs.push({ source, target: date.toISOString().slice(0, 10) });
  }
  return pairs;
}

// Source characters: id 0 pads a source at its start (masked: the encoder starts at the text).
const SOURCE_CHARS = ' abcdefghijklmnopqrstuvwxyz0123456789,.-';
// Target characters: ids 0 … 10; the decoder's input starts with START, the output ends with END.
const TARGET_CHARS = '0123456789-';
const START = TARGET_CHARS.length;
const END = TARGET_CHARS.length;
const TARGET_LENGTH = 10;

interface Encoded {
  /** [N, sourceSteps] source ids, padded with 0 at the start */
  source: Float32Array;
  /** [N, TARGET_LENGTH + 1]: START, then the target's characters */
  decoderInput: Float32Array;
  /** [N, TARGET_LENGTH + 1]: the target's characters, then END */
  target: Float32Array;
  n: number;
}

function encodePairs(pairs: readonly Pair[], sourceSteps: number): Encoded {
  const steps = TARGET_LENGTH + 1;
  const n = pairs.length;
  const encoded: Encoded = { source: new Float32Array(n * sourceSteps), decoderInput: new Float32Array(n * steps), target: new Float32Array(n * steps), n };
  pairs.forEach(({ source, target }, i) => {
    const ids = [...source].map((ch) => SOURCE_CHARS.indexOf(ch) + 1);
    if (ids.includes(0) || ids.length > sourceSteps) throw new Error(`Cannot encode the source '${source}'.`);
    encoded.source.set(ids, (i + 1) * sourceSteps - ids.length);
    const chars = [...target].map((ch) => TARGET_CHARS.indexOf(ch));
    encoded.decoderInput.set([START, ...chars], i * steps);
    encoded.target.set([...chars, END], i * steps);
  });
  return encoded;
}

function decodeTarget(tokens: readonly number[]): string {
  return tokens.map((t) => TARGET_CHARS[t] ?? '?').join('');
}

/** The baseline: at each position of the target, the character most frequent there in training. */
function majorityTarget(targets: readonly string[]): string {
  return Array.from({ length: TARGET_LENGTH }, (_, k) => {
    const counts = new Map<string, number>();
    for (const t of targets) counts.set(t[k], (counts.get(t[k]) ?? 0) + 1);
    return [...counts].sort((a, b) => b[1] - a[1])[0][0];
  }).join('');
}

// ---- The run ----------------------------------------------------------------------------------

export async function main(argv: string[]): Promise<{ accuracy: number; baseline: number }> {
  const o = parseOptions(argv);
  const started = performance.now();
  const random = new Random(o.seed);
  const pairs = generatePairs(o.pairs + o.heldout, random);
  const train = pairs.slice(0, o.pairs);
  const held = pairs.slice(o.pairs);
  const sourceSteps = Math.max(...pairs.map((p) => p.source.length));
  const trainData = encodePairs(train, sourceSteps);
  const heldData = encodePairs(held, sourceSteps);
  console.log(
    `Dates: ${train.length} training pairs, ${held.length} held out (distinct sources), ${FORMATS.length} formats, sources of up to ${sourceSteps} characters`,
  );

  const gpu = await openGpu();
  let model: EncoderDecoder | undefined;
  try {
    const steps = TARGET_LENGTH + 1;
    model = encoderDecoder(gpu, {
      encoder: [
        layers.embedding({ inputDim: SOURCE_CHARS.length + 1, outputDim: o.embedding, inputShape: [sourceSteps], maskZero: true, seed: o.seed }),
        layers.lstm({ units: o.units, seed: o.seed + 1 }),
      ],
      decoder: [
        layers.embedding({ inputDim: TARGET_CHARS.length + 1, outputDim: o.embedding, inputShape: [steps], seed: o.seed + 2 }),
        layers.lstm({ units: o.units, returnSequences: true, seed: o.seed + 3 }),
      ],
      head: layers.dense({ units: TARGET_CHARS.length + 1, activation: 'softmax', seed: o.seed + 4 }),
    });
    model.compile({ optimizer: { name: 'adam', learningRate: o.learningRate, clipnorm: 5 }, loss: 'sparseCategoricalCrossentropy', metrics: 'accuracy' });
    model.summary();

    console.log(`Training (teacher forcing), ${o.epochs} epochs of batches of ${o.batchSize}:`);
    const trainStart = performance.now();
    await model.fit([trainData.source, trainData.decoderInput], trainData.target, {
      epochs: o.epochs,
      batchSize: o.batchSize,
      seed: o.seed,
      validationData: [[heldData.source, heldData.decoderInput], heldData.target],
      callbacks: epochLogger(o.epochs),
    });
    console.log(`Trained in ${seconds(trainStart)}.`);

    const decodeStart = performance.now();
    const decoded = (await model.decode(heldData.source, { startToken: START, endToken: END, maxLength: TARGET_LENGTH + 2, beamWidth: o.beamWidth })).map(
      decodeTarget,
    );
    const exact = decoded.filter((d, i) => d === held[i].target).length / held.length;
    const guess = majorityTarget(train.map((p) => p.target));
    const baseline = held.filter((p) => p.target === guess).length / held.length;
    const how = o.beamWidth > 1 ? `Beam search (${o.beamWidth} beams)` : 'Greedy decoding';
    console.log(`${how} of ${held.length} held-out sources in ${seconds(decodeStart)}.`);
    console.log(`Held-out exact match: ${percent(exact)} (baseline, the per-position majority '${guess}': ${percent(baseline)})`);
    for (let i = 0; i < Math.min(o.examples, held.length); i++) {
      const mark = decoded[i] === held[i].target ? '✓' : `✗ (expected ${held[i].target})`;
      console.log(`  ${held[i].source.padEnd(sourceSteps)} → ${decoded[i]} ${mark}`);
    }

    await model.save(o.save);
    const vocabulary = {
      sourceChars: SOURCE_CHARS,
      sourceSteps,
      padding: 'start, id 0',
      targetChars: TARGET_CHARS,
      startToken: START,
      endToken: END,
      maxLength: TARGET_LENGTH + 2,
    };
    mkdirSync(o.save, { recursive: true });
    writeFileSync(join(o.save, 'vocabulary.json'), `${JSON.stringify(vocabulary, null, 2)}\n`);
    console.log(
      `Saved the model to ${o.save} (load it with loadEncoderDecoder(gpu, '${o.save}'); vocabulary.json maps characters to ids). Total ${seconds(started)}.`,
    );
    return { accuracy: exact, baseline };
  } finally {
    model?.dispose();
    gpu.destroy();
  }
}
