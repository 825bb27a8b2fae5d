// What the page publishes on `window.__demo`, for test/browser/demo.browser.test.ts and for
// poking at the page from the console. No imports: the test reads this type only.

export type DemoState =
  /** Looking for an adapter. */
  | 'starting'
  /** No WebGPU: the explanation is shown instead of the demo. */
  | 'no-webgpu'
  /** Ready for a command. */
  | 'idle'
  | 'training'
  /** Generating, saving, loading or resetting. */
  | 'busy';

export interface DemoHook {
  readonly state: DemoState;
  /** Why WebGPU is missing (state 'no-webgpu'), or the last error shown. */
  readonly error: string | undefined;
  readonly adapter: { description: string; vendor: string; architecture: string; isSoftware: boolean } | undefined;
  /** The settings in use (see demo/options.ts). */
  readonly options: Readonly<Record<string, number | boolean>>;
  /** Batches trained since the model was created or reset. */
  readonly batches: number;
  /** The training loss of every batch, in order. */
  readonly lossHistory: readonly number[];
  /** Milliseconds of every batch (from the end of the previous one, sampling excluded), in order. */
  readonly batchTimes: readonly number[];
  /** The validation loss after each epoch, with the batch count it was reached at. */
  readonly valLossHistory: readonly { batch: number; loss: number }[];
  /** Every generated passage (without its seed), in order. */
  readonly samples: readonly string[];
  /** Trains `batches` batches (default: until stop()); resolves when training has ended. */
  train(batches?: number): Promise<void>;
  /** Asks training to stop after the current batch; resolves when it has. */
  stop(): Promise<void>;
  /** Generates one passage with the current model and temperature. */
  generate(): Promise<string>;
  /** The next-character probabilities after the seed text (to compare models). */
  probe(): Promise<number[]>;
}
