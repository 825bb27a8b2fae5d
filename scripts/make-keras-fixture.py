#!/usr/bin/env python3
"""Writes the Keras file fixtures of test/io/kerasFile.test.ts with Keras itself.

Each model is saved twice, as a Keras 3 `.keras` archive and as a legacy `.h5` file, with a
JSON beside it holding a seeded input `x` and Keras's `model.predict(x)` as `y` (float32,
flattened row-major, with their shapes). Weights are redrawn from N(0, 0.5²) after building,
biases included, so that every weight matters to the outputs.

    python3 -m venv /tmp/kvenv
    /tmp/kvenv/bin/pip install keras jax h5py numpy
    KERAS_BACKEND=jax /tmp/kvenv/bin/python scripts/make-keras-fixture.py [name …]

With names, only those fixtures are written (the others are still drawn, so that every
fixture's weights and inputs stay the same whatever is written).

Written with Keras 3.15.1 on the JAX backend (CPU).
"""
import json
import os
import sys
import warnings

os.environ.setdefault("KERAS_BACKEND", "jax")
warnings.filterwarnings("ignore")

import keras  # noqa: E402
import numpy as np  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "test", "fixtures", "keras")
L = keras.layers


def models():
    yield "lstm-stack", [
        keras.Input((6, 3)),
        L.LSTM(5, return_sequences=True),
        L.LSTM(4),
        L.Dense(2, activation="softmax"),
    ], ("float", (2, 6, 3))
    yield "embedding-bigru", [
        keras.Input((7,)),
        L.Embedding(12, 4),
        L.Bidirectional(L.GRU(3)),
        L.Dense(1, activation="sigmoid"),
    ], ("int", (3, 7), 12)
    yield "conv-simplernn", [
        keras.Input((10, 2)),
        L.Conv1D(4, 3, activation="elu", kernel_initializer="he_normal"),
        L.MaxPooling1D(2),
        L.SimpleRNN(5, activation="softsign"),
        L.Dropout(0.2),
        L.Dense(3),
    ], ("float", (2, 10, 2))
    yield "embedding-pooling", [
        keras.Input((6,)),
        L.Embedding(10, 4),
        L.GlobalAveragePooling1D(),
        L.Dense(3),
        L.Activation("softmax"),
    ], ("int", (3, 6), 10)
    yield "shape-layers", [
        keras.Input((5, 3)),
        L.LSTM(4, return_sequences=True, recurrent_activation="softplus", kernel_initializer="lecun_normal"),
        L.GlobalMaxPooling1D(),
        L.RepeatVector(2),
        L.SimpleRNN(3, return_sequences=True),
        L.Flatten(),
        L.Dense(1, activation="selu"),
    ], ("float", (2, 5, 3))
    yield "causal-conv", [
        keras.Input((10, 2)),
        L.Conv1D(3, 3, padding="causal", dilation_rate=2, activation="tanh"),
        L.Conv1D(2, 2, padding="causal", dilation_rate=4),
        L.Conv1D(2, 2, padding="causal", strides=2),
        L.GRU(3),
        L.Dense(1),
    ], ("float", (2, 10, 2))
    # Not importable: the error must name the LayerNormalization layer.
    yield "unsupported-layer", [
        keras.Input((4, 2)),
        L.LSTM(3, return_sequences=True),
        L.LayerNormalization(),
        L.Dense(1),
    ], ("float", (1, 4, 2))
    yield "time-distributed", [
        keras.Input((5, 3)),
        L.GRU(4, return_sequences=True),
        L.TimeDistributed(L.Dense(3, activation="tanh")),
        L.TimeDistributed(L.Dropout(0.3)),
        L.TimeDistributed(L.Activation("softplus")),
        L.TimeDistributed(L.Dense(2)),
    ], ("float", (2, 5, 3))
    # The tweets model of the material: SpatialDropout1D between the Embedding and the LSTM.
    yield "spatial-dropout", [
        keras.Input((6,)),
        L.Embedding(9, 4),
        L.SpatialDropout1D(0.4),
        L.LSTM(3, dropout=0.2, recurrent_dropout=0.2),
        L.Dense(2, activation="softmax"),
    ], ("int", (3, 6), 9)


def main():
    only = set(sys.argv[1:])
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(7)
    for name, layers, data in models():
        model = keras.Sequential(layers, name=name.replace("-", "_"))
        for w in model.weights:
            w.assign(rng.normal(0.0, 0.5, size=w.shape).astype("float32"))
        if data[0] == "int":
            x = rng.integers(0, data[2], size=data[1]).astype("int32")
        else:
            x = rng.normal(0.0, 1.0, size=data[1]).astype("float32")
        y = np.asarray(model.predict(x, verbose=0), dtype="float32")
        if only and name not in only:
            continue
        model.save(os.path.join(OUT, f"{name}.keras"))
        model.save(os.path.join(OUT, f"{name}.h5"))
        with open(os.path.join(OUT, f"{name}.json"), "w") as f:
            json.dump(
                {
                    "keras": keras.__version__,
                    "xShape": list(x.shape),
                    "x": x.reshape(-1).tolist(),
                    "yShape": list(y.shape),
                    "y": y.reshape(-1).astype(float).tolist(),
                },
                f,
            )
        print(name, x.shape, "->", y.shape)


if __name__ == "__main__":
    main()
