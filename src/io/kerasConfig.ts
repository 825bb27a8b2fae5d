// Keras / TensorFlow.js layer configurations (as in a tfjs-layers model.json) read into this
// library's layer options. Keras writes snake_case keys; TF.js writes snake_case in
// model.json but camelCase in some hand-made or older files: both are read.
import { ACTIVATION_ALIASES, ACTIVATIONS_AND_SOFTMAX, type Activation, INITIALIZERS, type InitializerName } from '../spec/names.js';
import type { DenseConfig, LstmConfig, RegularizerConfig } from '../spec/config.js';
import { ModelFormatError } from '../spec/ioErrors.js';

/** A layer config with every key in snake_case. */
export type KerasConfig = Record<string, unknown>;

/** Where a layer config comes from, for error messages and version-dependent meanings. */
export interface KerasLayerContext {
  /** Keras class name: 'LSTM', 'Dense', … */
  className: string;
  /** Position of the layer in the file's layer list. */
  index: number;
  /** `keras_version` of the file, when it says. */
  kerasVersion?: string;
}

/** 'returnSequences' → 'return_sequences'; snake_case keys are kept. */
export function snakeCase(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** The config with snake_case keys (top level only: nested configs are read where needed). */
export function normalizeKerasConfig(config: unknown, where: string): KerasConfig {
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw new ModelFormatError(`${where}: the layer's config is not an object.`);
  }
  const out: KerasConfig = {};
  for (const [key, value] of Object.entries(config)) out[snakeCase(key)] = value;
  return out;
}

function describe(ctx: KerasLayerContext, config: KerasConfig): string {
  const name = typeof config.name === 'string' ? ` '${config.name}'` : '';
  return `${ctx.className} layer${name} (layer ${ctx.index} of the file)`;
}

/** Reads typed values from one layer's snake_case config, with errors naming the layer. */
export class KerasConfigReader {
  readonly where: string;

  constructor(
    readonly ctx: KerasLayerContext,
    readonly config: KerasConfig,
  ) {
    this.where = describe(ctx, config);
  }

  fail(message: string): never {
    throw new ModelFormatError(`${this.where}: ${message}`);
  }

  has(key: string): boolean {
    return this.config[key] !== undefined && this.config[key] !== null;
  }

  positiveInt(key: string): number {
    const v = this.config[key];
    if (!Number.isInteger(v) || (v as number) < 1) this.fail(`'${key}' must be a positive whole number, got ${JSON.stringify(v)}.`);
    return v as number;
  }

  bool(key: string, fallback: boolean): boolean {
    const v = this.config[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'boolean') this.fail(`'${key}' must be true or false, got ${JSON.stringify(v)}.`);
    return v;
  }

  /** A fraction in [0, 1) (a dropout rate); `fallback` when absent. */
  rate(key: string, fallback = 0): number {
    const v = this.config[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'number' || !(v >= 0 && v < 1)) this.fail(`'${key}' must be a number in [0, 1), got ${JSON.stringify(v)}.`);
    return v;
  }

  /** Throws when `key` is true: an option this library does not implement for this layer. */
  rejectTrue(key: string, advice: string): void {
    if (this.bool(key, false)) this.fail(`${key}=True is not supported: ${advice}`);
  }

  /** Throws unless `key` is absent or `expected`. */
  rejectUnless<T>(key: string, expected: T, advice: string): void {
    const v = this.config[key];
    if (v !== undefined && v !== null && v !== expected) this.fail(`${key}=${JSON.stringify(v)} is not supported: ${advice}`);
  }

  activation(key: string, fallback: Activation): Activation;
  activation(key: string, fallback: Activation, allowSoftmax: true): Activation | 'softmax';
  activation(key: string, fallback: Activation, allowSoftmax = false): Activation | 'softmax' {
    let v = this.config[key];
    if (v === undefined) return fallback;
    if (v === null) return 'linear'; // Keras: activation=None is linear.
    // Keras 3 may write a built-in activation as { class_name: 'function', config: 'tanh' }.
    if (typeof v === 'object' && typeof (v as { config?: unknown }).config === 'string') v = (v as { config: string }).config;
    const name = typeof v === 'string' ? v : JSON.stringify(v);
    const mapped = KERAS_ACTIVATIONS[name];
    if (mapped === 'softmax' && !allowSoftmax) this.fail(`${key} 'softmax' is only supported on Dense layers.`);
    if (!mapped) {
      const known = Object.keys(KERAS_ACTIVATIONS).filter((k) => allowSoftmax || k !== 'softmax');
      this.fail(`${key} '${name}' is not supported: use one of ${known.join(', ')}.`);
    }
    if (mapped === 'hardSigmoid' && this.ctx.kerasVersion?.startsWith('3')) {
      // Keras 3 redefined hard_sigmoid as relu6(x + 3) / 6; this library (and Keras 2, TF.js) use clip(0.2·x + 0.5).
      this.fail(`${key} 'hard_sigmoid' of Keras 3 (relu6(x + 3) / 6) differs from Keras 2 / TF.js's clip(0.2·x + 0.5, 0, 1), the one this library implements.`);
    }
    return mapped;
  }

  /** An initializer's name, or undefined when it has none here (the weights are replaced anyway). */
  initializer(key: string): InitializerName | undefined {
    const v = this.config[key];
    const className =
      typeof v === 'string'
        ? v
        : typeof v === 'object' && v !== null
          ? ((v as { class_name?: unknown; className?: unknown }).class_name ?? (v as { className?: unknown }).className)
          : undefined;
    return typeof className === 'string' ? KERAS_INITIALIZERS[className] : undefined;
  }

  /** An L1 / L2 regularizer, or undefined (other kinds only matter for training and are dropped). */
  regularizer(key: string): RegularizerConfig | undefined {
    const v = this.config[key] as { class_name?: string; className?: string; config?: Record<string, unknown> } | null | undefined;
    if (!v || typeof v !== 'object') return undefined;
    const kind = v.class_name ?? v.className;
    if (kind !== 'L1L2' && kind !== 'L1' && kind !== 'L2' && kind !== 'l1_l2') return undefined;
    const c = v.config ?? {};
    const l1 = Number(c.l1 ?? 0);
    const l2 = Number(c.l2 ?? 0);
    if (!(Number.isFinite(l1) && Number.isFinite(l2))) return undefined;
    const out: RegularizerConfig = {};
    if (l1 > 0) out.l1 = l1;
    if (l2 > 0) out.l2 = l2;
    return out.l1 === undefined && out.l2 === undefined ? undefined : out;
  }

  /** The input shape without the batch dimension, when this layer declares one. */
  inputShape(): (number | null)[] | undefined {
    for (const key of ['batch_input_shape', 'batch_shape']) {
      const v = this.config[key];
      if (Array.isArray(v)) return this.checkShape(v.slice(1), key);
    }
    const v = this.config.input_shape;
    if (Array.isArray(v)) return this.checkShape(v, 'input_shape');
    return undefined;
  }

  /** Name, or undefined. */
  name(): string | undefined {
    return typeof this.config.name === 'string' ? this.config.name : undefined;
  }

  private checkShape(shape: unknown[], key: string): (number | null)[] {
    for (const d of shape)
      if (d !== null && !(Number.isInteger(d) && (d as number) > 0))
        this.fail(`'${key}' must hold positive whole numbers or null, got ${JSON.stringify(shape)}.`);
    return shape as (number | null)[];
  }
}

/** Our activations (and softmax) under their names and Keras's snake_case ones: hardSigmoid and hard_sigmoid. */
const KERAS_ACTIVATIONS: Record<string, Activation | 'softmax'> = {
  ...Object.fromEntries(ACTIVATIONS_AND_SOFTMAX.flatMap((a) => [[a, a] as const, [snakeCase(a), a] as const])),
  ...(ACTIVATION_ALIASES as Record<string, Activation>),
};

/** Our initializers under Keras's names: GlorotUniform (a class), glorot_uniform, glorotUniform. */
const KERAS_INITIALIZERS: Record<string, InitializerName> = Object.fromEntries(
  INITIALIZERS.flatMap((i) => [[i, i] as const, [snakeCase(i), i] as const, [i[0].toUpperCase() + i.slice(1), i] as const]),
);

/** Options shared by the recurrent layers' configs, read from Keras. */
export function kerasRecurrentCommon(r: KerasConfigReader): {
  units: number;
  returnSequences: boolean;
  useBias: boolean;
  goBackwards: boolean;
  stateful: boolean;
  dropout: number;
  recurrentDropout: number;
  name?: string;
  kernelRegularizer?: RegularizerConfig;
  recurrentRegularizer?: RegularizerConfig;
  biasRegularizer?: RegularizerConfig;
} {
  r.rejectTrue('return_state', 'a Sequential model passes one tensor between layers.');
  r.rejectTrue('time_major', 'save the model with time_major=False (inputs are [batch, steps, features]).');
  // dropout / recurrent_dropout act in training only (kept for further training); unroll and
  // implementation do not change results.
  const out: ReturnType<typeof kerasRecurrentCommon> = {
    units: r.positiveInt('units'),
    returnSequences: r.bool('return_sequences', false),
    useBias: r.bool('use_bias', true),
    goBackwards: r.bool('go_backwards', false),
    stateful: r.bool('stateful', false),
    dropout: r.rate('dropout'),
    recurrentDropout: r.rate('recurrent_dropout'),
  };
  const name = r.name();
  if (name) out.name = name;
  const regs = { kernelRegularizer: 'kernel_regularizer', recurrentRegularizer: 'recurrent_regularizer', biasRegularizer: 'bias_regularizer' } as const;
  for (const [ours, theirs] of Object.entries(regs) as [keyof typeof regs, string][]) {
    const reg = r.regularizer(theirs);
    if (reg) out[ours] = reg;
  }
  return out;
}

/** The first layer's input shape as a recurrent layer takes it: [steps | null, features]. */
export function recurrentInputShape(r: KerasConfigReader): [number | null, number] | undefined {
  const shape = r.inputShape();
  if (!shape) return undefined;
  if (shape.length !== 2 || shape[1] === null)
    r.fail(`a recurrent layer's input is [batch, steps, features] with a known number of features, got [batch, ${shape.join(', ')}].`);
  return [shape[0], shape[1] as number];
}

export function lstmFromKeras(r: KerasConfigReader): LstmConfig {
  const config: LstmConfig = {
    ...kerasRecurrentCommon(r),
    activation: r.activation('activation', 'tanh'),
    recurrentActivation: r.activation('recurrent_activation', 'sigmoid'),
    unitForgetBias: r.bool('unit_forget_bias', true),
  };
  const inputShape = recurrentInputShape(r);
  if (inputShape) config.inputShape = inputShape;
  const inits = { kernelInitializer: 'kernel_initializer', recurrentInitializer: 'recurrent_initializer', biasInitializer: 'bias_initializer' } as const;
  for (const [ours, theirs] of Object.entries(inits) as [keyof typeof inits, string][]) {
    const init = r.initializer(theirs);
    if (init) config[ours] = init;
  }
  return config;
}

/** Options of a Keras GRU (this library's GruConfig names). */
export function gruFromKeras(r: KerasConfigReader): Record<string, unknown> {
  return {
    ...recurrentFromKeras(r),
    recurrentActivation: r.activation('recurrent_activation', 'sigmoid'),
    // Keras 2 (TF2) defaults to reset_after=True; TF.js writes false (the only form it has).
    resetAfter: r.bool('reset_after', true),
  };
}

/** Options of a Keras SimpleRNN (this library's SimpleRnnConfig names). */
export function simpleRnnFromKeras(r: KerasConfigReader): Record<string, unknown> {
  return recurrentFromKeras(r);
}

/** What LSTM, GRU and SimpleRNN read alike: the common options, activation, input shape, initializers. */
function recurrentFromKeras(r: KerasConfigReader): Record<string, unknown> {
  const config: Record<string, unknown> = { ...kerasRecurrentCommon(r), activation: r.activation('activation', 'tanh') };
  const inputShape = recurrentInputShape(r);
  if (inputShape) config.inputShape = inputShape;
  const inits = { kernelInitializer: 'kernel_initializer', recurrentInitializer: 'recurrent_initializer', biasInitializer: 'bias_initializer' } as const;
  for (const [ours, theirs] of Object.entries(inits)) {
    const init = r.initializer(theirs);
    if (init) config[ours] = init;
  }
  return config;
}

export function denseFromKeras(r: KerasConfigReader): DenseConfig {
  const config: DenseConfig = {
    units: r.positiveInt('units'),
    activation: r.activation('activation', 'linear', true),
    useBias: r.bool('use_bias', true),
  };
  const name = r.name();
  if (name) config.name = name;
  const shape = r.inputShape();
  if (shape) {
    if (shape.some((d, i) => d === null && i === shape.length - 1)) r.fail('the number of input features must be known.');
    config.inputShape = shape.map((d) => d ?? -1);
  }
  return withKernelAndBias(r, config);
}

/** `config` with the kernel's and the bias's initializers and regularizers that the Keras config sets (Dense, Conv1D). */
export function withKernelAndBias<C extends Pick<DenseConfig, 'kernelInitializer' | 'biasInitializer' | 'kernelRegularizer' | 'biasRegularizer'>>(
  r: KerasConfigReader,
  config: C,
): C {
  const kernelInit = r.initializer('kernel_initializer');
  if (kernelInit) config.kernelInitializer = kernelInit;
  const biasInit = r.initializer('bias_initializer');
  if (biasInit) config.biasInitializer = biasInit;
  const kernelReg = r.regularizer('kernel_regularizer');
  if (kernelReg) config.kernelRegularizer = kernelReg;
  const biasReg = r.regularizer('bias_regularizer');
  if (biasReg) config.biasRegularizer = biasReg;
  return config;
}

/** Options of a Keras Embedding (this library's EmbeddingConfig names). */
export function embeddingFromKeras(r: KerasConfigReader): Record<string, unknown> {
  r.rejectUnless('lora_rank', null, 'merge the LoRA weights into the embeddings before saving.');
  const config: Record<string, unknown> = {
    inputDim: r.positiveInt('input_dim'),
    outputDim: r.positiveInt('output_dim'),
    maskZero: r.bool('mask_zero', false),
  };
  const name = r.name();
  if (name) config.name = name;
  const init = r.initializer('embeddings_initializer');
  if (init) config.embeddingsInitializer = init;
  const reg = r.regularizer('embeddings_regularizer');
  if (reg) config.embeddingsRegularizer = reg;
  const shape = r.inputShape() ?? (r.has('input_length') ? [r.positiveInt('input_length')] : undefined);
  if (shape) {
    if (shape.length !== 1) r.fail(`an Embedding's input is [batch, steps] of token ids, got [batch, ${shape.join(', ')}].`);
    config.inputShape = shape;
  }
  return config;
}

/** `config` with the layer's name and declared input shape, when the Keras config has them. */
export function withInputShape(r: KerasConfigReader, config: Record<string, unknown>): Record<string, unknown> {
  const name = r.name();
  if (name) config.name = name;
  const shape = r.inputShape();
  if (shape) config.inputShape = shape;
  return config;
}

/** Options of a Keras Dropout: the rate and seed (dropout acts in training only). */
export function dropoutFromKeras(r: KerasConfigReader): Record<string, unknown> {
  r.rejectUnless('noise_shape', null, 'this library drops every value independently (noise_shape=None).');
  const config: Record<string, unknown> = { rate: r.rate('rate') };
  if (Number.isInteger(r.config.seed)) config.seed = r.config.seed;
  return withInputShape(r, config);
}

/** Options of a Keras Masking layer. */
export function maskingFromKeras(r: KerasConfigReader): Record<string, unknown> {
  const value = r.config.mask_value ?? 0;
  if (typeof value !== 'number' || !Number.isFinite(value)) r.fail(`'mask_value' must be a finite number, got ${JSON.stringify(value)}.`);
  return withInputShape(r, { maskValue: value });
}
