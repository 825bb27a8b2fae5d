// The benchmark's data: options, cases and the result file's schema (bench/results/*.json).

export type Kind = 'forward' | 'train' | 'generate';
export type SystemName = 'ours' | 'reference' | 'predict-loop' | 'tfjs-webgpu' | 'tfjs-cpu' | 'tfjs-wasm' | 'onnxruntime' | 'ort-web-webgpu' | 'ort-web-wasm';
export const SYSTEMS: readonly SystemName[] = [
  'ours',
  'reference',
  'predict-loop',
  'tfjs-webgpu',
  'tfjs-cpu',
  'tfjs-wasm',
  'onnxruntime',
  'ort-web-webgpu',
  'ort-web-wasm',
];
export type AdapterChoice = 'default' | 'swiftshader' | 'lavapipe';

/** B: batch, T: steps, D: input features, H: units. Generate: B prompts side by side, T tokens
 *  generated, D the embedding width, H units (the vocabulary is GENERATE_VOCABULARY). */
export interface Shape {
  B: number;
  T: number;
  D: number;
  H: number;
}

/** Generate: V, the vocabulary (a character set): Embedding(V → D) → LSTM(H) → Dense(V, softmax). */
export const GENERATE_VOCABULARY = 96;
/** Generate: the ids of each prompt, [B, GENERATE_PROMPT_LENGTH]. */
export const GENERATE_PROMPT_LENGTH = 4;

export interface CaseSpec {
  kind: Kind;
  shape: Shape;
  /** Part of the full run only (the H × B sweep). */
  sweep: boolean;
}

export interface BenchOptions {
  quick: boolean;
  /** Regular expression matched against a case's label, e.g. "forward B=1 T=100 D=32 H=128", "generate". */
  filter?: string;
  /** Peers to run beside ours (ours always runs: it is the baseline of every ratio). */
  systems: SystemName[];
  adapter: AdapterChoice;
  /** Include the training cases (the library has `compile` and `trainOnBatch`). */
  train: boolean;
  /** createDevice's `tune` for ours (Node; --tune): 'off' (default) times the cost model's kernel forms. */
  tune?: 'off' | 'fast' | 'full';
}

export interface AdapterInfo {
  vendor: string;
  architecture: string;
  description: string;
  isSoftware: boolean;
}

/** Measured before and after the cases; each figure is the better of the two. */
export interface Limits {
  /** Best GFLOP/s of our GEMM kernel (src/kernels/gemm.ts) over square sizes up to 1024³,
   *  from the fastest of ≥ 5 runs of each size (a limit: what the adapter can do). */
  gemmGflops: number;
  /** The size at which that rate was measured (M = N = K). */
  gemmSize: number;
  /** Every size tried: median and fastest ms of one GEMM dispatch (one pass, one submit), and
   *  the rate of the fastest. */
  gemmSizes: { size: number; medianMs: number; bestMs: number; gflops: number }[];
  /** Time of one empty dispatch (setPipeline + setBindGroup + dispatch) inside one pass, from
   *  the fastest passes. */
  emptyDispatchUs: number;
  /** How many empty dispatches shared the pass that gave emptyDispatchUs. */
  emptyDispatchCount: number;
}

export interface CaseResult {
  kind: Kind;
  shape: Shape;
  system: SystemName;
  medianMs: number | null;
  minMs: number | null;
  maxMs: number | null;
  /** Timed runs after the warm-up (≥ 5 where timed). */
  runs: number;
  /** FLOPs of the case (full T) over the median time. */
  gflops: number | null;
  /** Compute dispatches of one run over T (null for CPU systems); generate: per token. */
  dispatchesPerStep: number | null;
  /** Compute dispatches of one run (forward: one predict; train: one trainOnBatch; generate: T tokens). */
  dispatchesPerRun: number | null;
  /** Generate: T·B / median seconds (null for the other kinds, or when not timed). */
  tokensPerSecond: number | null;
  /**
   * Largest |difference| of the checked values: for ours against the Float64 reference; for a
   * peer against ours (forward: the output; train: the loss and every weight after the step;
   * generate: the number of token ids that differ).
   */
  maxError: number | null;
  /** Tolerance the error was held to (see bench/lib/validate.ts for the reasons of each). */
  tolerance: number | null;
  /** False when the outputs disagree (the case is then not timed) or the run failed. */
  valid: boolean;
  /** Steps (generate: tokens) actually timed: smaller than T when a slow system was timed on a
   *  prefix and its times scaled by T / timedSteps (every step costs the same). */
  timedSteps: number;
  /** medianMs / ours' medianMs on the same case: how many times faster ours is. */
  ratioToOurs: number | null;
  /** Ours only: `emptyDispatch·dispatchesPerRun + FLOPs / best GEMM rate` over medianMs. */
  fractionOfLimit: number | null;
  /** Ours only: gflops / limits.gemmGflops. */
  fractionOfGemmRate: number | null;
  /** Napkin bytes of one run: inputs, weights, gate buffers and outputs read or written once,
   *  plus the recurrent weights read once per step (generate: every weight once per token). */
  bytesPerRun: number;
  note?: string;
}

export interface BenchResult {
  adapter: AdapterInfo;
  runtime: 'node' | 'chromium';
  /** The adapter asked for (--adapter). */
  adapterChoice: AdapterChoice;
  /** --tune: ours' kernel forms timed on the adapter before ours is timed ('fast', 'full'), or the cost model's ('off'). */
  tune?: 'off' | 'fast' | 'full';
  date: string;
  quick: boolean;
  /** Wall time of the whole run, seconds. */
  durationS: number;
  environment: { userAgent: string; cpus: number | null; tfjs: string; wasmFlavor?: string };
  limits: Limits;
  cases: CaseResult[];
  /** Systems that could not run at all, and why. */
  unavailable: { system: SystemName; reason: string }[];
  notes: string[];
}

/** What a running suite reports, for the progress line. */
export interface ProgressEvent {
  index: number;
  total: number;
  label: string;
  system?: string;
  phase: string;
}
