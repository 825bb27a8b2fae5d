// model.summary(): the TF.js / Keras table, printed line by line through printFn (console.log by
// default) and returned; the parameter counts are those of the weights.
import { afterEach, describe, expect, test, vi } from 'vitest';
import { encoderDecoder, layers, sequential } from '../../src/index.js';
import { useGpu } from '../helpers/gpu.js';

const env = useGpu();

afterEach(() => vi.restoreAllMocks());

describe('summary', () => {
  test('Sequential prints a row a layer (name, class, output shape, parameters) and the total, and returns the text', () => {
    const model = sequential(env.gpu, [
      layers.embedding({ inputDim: 50, outputDim: 8, inputShape: [10] }),
      layers.bidirectional({ layer: layers.lstm({ units: 16 }) }),
      layers.dense({ units: 1, activation: 'sigmoid' }),
    ]);
    const printed: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((line: string) => printed.push(line));
    const text = model.summary();
    expect(log).toHaveBeenCalled();
    expect(printed.join('\n')).toBe(text);
    const rows = text.split('\n');
    expect(rows[0]).toBe('Model: "sequential"');
    expect(rows[2]).toMatch(/^Layer \(type\)\s+Output shape\s+Param #$/);
    const [embedding, bidirectional, dense] = model.layers.map((l) => rows.find((r) => r.startsWith(`${l.name} (`)));
    // 50·8; 2·4·16·(8 + 16 + 1); 32 + 1.
    expect(embedding).toMatch(/\(Embedding\)\s+\[batch, 10, 8\]\s+400$/);
    expect(bidirectional).toMatch(/\(Bidirectional\)\s+\[batch, 32\]\s+3200$/);
    expect(dense).toMatch(/\(Dense\)\s+\[batch, 1\]\s+33$/);
    expect(rows).toContain(`Total params: ${400 + 3200 + 33}`);
    expect(model.countParams()).toBe(3633);
  });

  test('printFn takes the lines; null prints nothing', () => {
    const model = sequential(env.gpu, [layers.gru({ units: 4, inputShape: [3, 2] })]);
    const log = vi.spyOn(console, 'log');
    const lines: string[] = [];
    const text = model.summary((line) => lines.push(line));
    expect(lines.join('\n')).toBe(text);
    expect(model.summary(null)).toBe(text);
    expect(log).not.toHaveBeenCalled();
    expect(text).toMatch(/\(Gru\)\s+\[batch, 4\]\s+/);
  });

  test('an encoder–decoder prints its three sections', () => {
    const model = encoderDecoder(env.gpu, {
      encoder: [layers.embedding({ inputDim: 6, outputDim: 4, inputShape: [5] }), layers.lstm({ units: 8 })],
      decoder: [layers.embedding({ inputDim: 7, outputDim: 4, inputShape: [6] }), layers.lstm({ units: 8, returnSequences: true })],
      head: layers.dense({ units: 7, activation: 'softmax' }),
    });
    const text = model.summary(null);
    const rows = text.split('\n');
    expect(rows.indexOf('encoder:')).toBeLessThan(rows.indexOf('decoder:'));
    expect(rows.indexOf('decoder:')).toBeLessThan(rows.indexOf('head:'));
    expect(text).toMatch(/\(Dense\)\s+\[batch, 6, 7\]\s+63$/m);
    expect(rows).toContain(`Total params: ${model.countParams()}`);
  });
});
