// The page's elements (demo/index.html), looked up once: the buttons, the status line, the
// sample, the model's description and the statistics.

/** The element of index.html with this id; a missing one is a bug of the page, said at once. */
export const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`demo: #${id} is missing from index.html`);
  return el as T;
};

export const ui = {
  app: $('app'),
  adapter: $('adapter'),
  software: $('software'),
  noWebGpu: $('no-webgpu'),
  noWebGpuReason: $('no-webgpu-reason'),
  train: $<HTMLButtonElement>('train'),
  sample: $<HTMLButtonElement>('sample'),
  save: $<HTMLButtonElement>('save'),
  load: $<HTMLButtonElement>('load'),
  download: $<HTMLButtonElement>('download'),
  reset: $<HTMLButtonElement>('reset'),
  temperature: $<HTMLInputElement>('temperature'),
  temperatureValue: $<HTMLOutputElement>('temperature-value'),
  status: $('status'),
  sampleText: $('sample-text'),
  sampleCaption: $('sample-caption'),
  modelInfo: $('model-info'),
  stats: { batches: $('stat-batches'), epoch: $('stat-epoch'), loss: $('stat-loss'), val: $('stat-val'), speed: $('stat-speed') },
};
