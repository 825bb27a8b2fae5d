// Spam or not, on the SpamAssassin corpus: word Tokenizer → padSequences → Embedding → LSTM
// (or Bidirectional LSTM) → Dense sigmoid, binary cross-entropy. Prints held-out accuracy and
// F1 (spam positive) against a bag-of-words logistic regression trained on the CPU.
import { Command } from 'commander';
import { layers, padSequencesFlat, sequential, tensor, Tokenizer } from '../src/index.js';
import { openGpu, percent, realNumber, seconds, wholeNumber } from './lib/common.js';
import { bagOfWords, LogisticRegression } from './lib/logisticRegression.js';
import { binaryScores, type BinaryScores } from './lib/metrics.js';
import { loadSpamAssassin } from './lib/spamAssassin.js';

export const description = 'spam classifier (Embedding → LSTM) on SpamAssassin, against bag-of-words logistic regression';

interface SpamOptions {
  perClass: number;
  all: boolean;
  testFraction: number;
  numWords: number;
  maxlen: number;
  embedding: number;
  units: number;
  bidirectional: boolean;
  epochs: number;
  batchSize: number;
  learningRate: number;
  seed: number;
  save: string;
}

function parseOptions(argv: string[]): SpamOptions {
  const program = new Command('spam')
    .description(description)
    .option('--per-class <n>', 'messages of each class (spam, ham), drawn at random', wholeNumber(), 1500)
    .option('--all', 'use the whole corpus (6046 messages, 31 % spam) instead', false)
    .option('--test-fraction <x>', 'fraction of the messages held out', realNumber(0.01, 0.9), 0.2)
    .option('--num-words <n>', 'vocabulary: the most frequent words of the training messages, plus the OOV token', wholeNumber(3), 10_000)
    .option('--maxlen <n>', 'words read of each message (subject first); shorter ones are padded in front', wholeNumber(), 100)
    .option('--embedding <n>', 'size of the word embedding', wholeNumber(), 32)
    .option('--units <n>', 'LSTM units (per direction)', wholeNumber(), 32)
    .option('--bidirectional', 'a Bidirectional LSTM (concat) instead of a forward one', false)
    .option('--epochs <n>', 'passes over the training messages', wholeNumber(), 5)
    .option('--batch-size <n>', 'messages per training step', wholeNumber(), 64)
    .option('--learning-rate <x>', 'Adam learning rate', realNumber(0), 0.005)
    .option('--seed <n>', 'seed of the subset, the split, initialization and shuffling', wholeNumber(0), 1)
    .option('--save <dir>', 'where the trained model goes', 'examples/models/spam');
  program.parse(argv, { from: 'user' });
  return program.opts<SpamOptions>();
}

export async function main(argv: string[]): Promise<void> {
  const o = parseOptions(argv);
  let start = performance.now();
  const messages = loadSpamAssassin({ perClass: o.all ? Infinity : o.perClass, seed: o.seed });
  // The messages come in seeded random order: the last testFraction of them are held out.
  const testCount = Math.max(1, Math.round(messages.length * o.testFraction));
  const trainMessages = messages.slice(0, messages.length - testCount);
  const testMessages = messages.slice(messages.length - testCount);
  if (trainMessages.length < 2) throw new Error(`Only ${trainMessages.length} training message(s): raise --per-class or lower --test-fraction.`);
  const spamShare = messages.filter((m) => m.spam).length / messages.length;
  console.log(
    `SpamAssassin: ${messages.length} messages (${percent(spamShare)} spam), ${trainMessages.length} to train, ${testMessages.length} held out; loaded in ${seconds(start)}`,
  );

  // Word indices: 1 is the OOV token, ids < numWords kept (the numWords − 2 most frequent words).
  const tokenizer = new Tokenizer({ numWords: o.numWords, oovToken: '<oov>' });
  tokenizer.fitOnTexts(trainMessages.map((m) => m.text));
  const encode = (texts: string[]) => padSequencesFlat(tokenizer.textsToSequences(texts), { maxlen: o.maxlen, padding: 'pre', truncating: 'post' });
  // x: [messages, maxlen] token ids, 0 = padding; y: [messages, 1], 1 = spam.
  const xTrain = encode(trainMessages.map((m) => m.text));
  const xTest = encode(testMessages.map((m) => m.text));
  const yTrain = Float32Array.from(trainMessages, (m) => (m.spam ? 1 : 0));
  const yTest = Float32Array.from(testMessages, (m) => (m.spam ? 1 : 0));

  // The baseline reads the same words as the LSTM (the first maxlen of each message), as a set.
  start = performance.now();
  const rows = (data: Float32Array) => Array.from({ length: data.length / o.maxlen }, (_, i) => data.subarray(i * o.maxlen, (i + 1) * o.maxlen));
  const baseline = new LogisticRegression(o.numWords);
  baseline.fit(bagOfWords(rows(xTrain.data), o.numWords), yTrain, { epochs: 20, batchSize: 32, learningRate: 0.01, l2: 1e-4, seed: o.seed });
  const baselineScores = binaryScores(baseline.predict(bagOfWords(rows(xTest.data), o.numWords)), yTest);
  console.log(`Baseline (bag-of-words logistic regression, CPU) trained in ${seconds(start)}`);

  const gpu = await openGpu();
  try {
    const recurrent = layers.lstm({ units: o.units, seed: o.seed + 1 });
    const model = sequential(gpu, [
      // Id 0 is the padding (the Tokenizer's ids start at 1): masked, so the LSTM skips it.
      layers.embedding({ inputDim: o.numWords, outputDim: o.embedding, inputShape: [o.maxlen], maskZero: true, seed: o.seed }),
      o.bidirectional ? layers.bidirectional({ layer: recurrent, mergeMode: 'concat' }) : recurrent,
      layers.dense({ units: 1, activation: 'sigmoid', seed: o.seed + 2 }),
    ]);
    model.compile({ optimizer: { name: 'adam', learningRate: o.learningRate, clipnorm: 5 }, loss: 'binaryCrossentropy', metrics: 'accuracy' });
    model.summary();

    const x = tensor(gpu, xTrain.data, xTrain.shape);
    const y = tensor(gpu, yTrain, [yTrain.length, 1]);
    const xHeld = tensor(gpu, xTest.data, xTest.shape);
    const yHeld = tensor(gpu, yTest, [yTest.length, 1]);
    console.log(`Training (${o.epochs} epoch(s), batches of ${o.batchSize}; val_ figures are on the held-out messages):`);
    start = performance.now();
    await model.fit(x, y, { epochs: o.epochs, batchSize: o.batchSize, seed: o.seed, validationData: [xHeld, yHeld], verbose: 1 });
    console.log(`Trained in ${seconds(start)}.`);
    const out = model.predict(xHeld);
    // probabilities: [held-out messages, 1]
    const lstmScores = binaryScores(await out.data(), yTest);
    out.dispose();
    for (const t of [x, y, xHeld, yHeld]) t.dispose();

    const name = o.bidirectional ? 'Bidirectional LSTM' : 'LSTM';
    const better = lstmScores.f1 > baselineScores.f1 ? `the ${name} is ahead` : lstmScores.f1 < baselineScores.f1 ? 'the baseline is ahead' : 'a tie';
    console.log(
      `Held-out (${testMessages.length} messages, spam positive): ${name} ${scores(lstmScores)}; baseline ${scores(baselineScores)}; by F1 ${better}.`,
    );

    await model.save(o.save);
    console.log(`Saved the model to ${o.save}`);
    model.dispose();
  } finally {
    gpu.destroy();
  }
}

function scores(s: BinaryScores): string {
  return `accuracy ${percent(s.accuracy)}, F1 ${s.f1.toFixed(3)} (precision ${s.precision.toFixed(3)}, recall ${s.recall.toFixed(3)})`;
}
