// The encoder–decoder in saved models: its layer type (sub-layers saved with their own types,
// weights named <sub-layer>/<weight>) and loadEncoderDecoder.
import type { Layer } from '../layers/layer.js';
import { EncoderDecoder } from '../model/encoderDecoder.js';
import { EncoderDecoderLayer } from '../model/encoderDecoderLayer.js';
import type { Gpu } from '../runtime/device.js';
import { ModelFormatError } from '../spec/ioErrors.js';
import type { JsonConfig, ModelSource } from '../spec/modelFormat.js';
import { loadModel } from './io.js';
import { layerTypeFor, layerTypeOf, registerLayerType, registeredClassNames } from './layerRegistry.js';

// Saved as { name, encoder: [{ className, config }, …], decoder: [...] }, each sub-layer with its
// own registered type; its weights are named <sub-layer>/<weight>, in the encoder's then the
// decoder's order.
registerLayerType({
  className: 'EncoderDecoder',
  is: (layer) => layer instanceof EncoderDecoderLayer,
  getConfig(layer) {
    const e = layer as EncoderDecoderLayer;
    const saved = (stack: readonly Layer[]) =>
      stack.map((l) => {
        const type = layerTypeFor(l);
        return { className: type.className, config: type.getConfig(l) };
      });
    return { name: e.name, encoder: saved(e.encoder), decoder: saved(e.decoder) };
  },
  fromConfig(config) {
    const stack = (side: 'encoder' | 'decoder'): Layer[] => {
      const list = config[side];
      if (!Array.isArray(list) || list.length === 0) throw new ModelFormatError(`EncoderDecoder: ${side} must be a non-empty list of { className, config }.`);
      return list.map((item: unknown, i) => {
        const { className, config: inner } = (item ?? {}) as { className?: unknown; config?: unknown };
        const type = typeof className === 'string' ? layerTypeOf(className) : undefined;
        if (!type || className === 'EncoderDecoder' || typeof inner !== 'object' || inner === null) {
          throw new ModelFormatError(
            `EncoderDecoder: ${side}[${i}] is ${JSON.stringify(className ?? null)}, not a known layer type given as { className, config } (known: ${registeredClassNames().join(', ')}).`,
          );
        }
        return type.fromConfig(inner as JsonConfig);
      });
    };
    return new EncoderDecoderLayer({ name: typeof config.name === 'string' ? config.name : undefined, encoder: stack('encoder'), decoder: stack('decoder') });
  },
  weightNames(layer) {
    return (layer as EncoderDecoderLayer).sublayers.flatMap((l) =>
      layerTypeFor(l)
        .weightNames(l)
        .map((w) => `${l.name}/${w}`),
    );
  },
});

/** An encoder–decoder saved with model.save(), on `gpu`. */
export async function loadEncoderDecoder(gpu: Gpu, source: ModelSource): Promise<EncoderDecoder> {
  const model = await loadModel(gpu, source);
  try {
    if (!(model.layers[0] instanceof EncoderDecoderLayer)) {
      throw new ModelFormatError(`The saved model starts with ${model.layers[0].name}, not an EncoderDecoder layer: load it with loadModel(gpu, source).`);
    }
    return new EncoderDecoder(model);
  } catch (error) {
    model.dispose();
    throw error;
  }
}
