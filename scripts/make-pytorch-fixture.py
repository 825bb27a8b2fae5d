#!/usr/bin/env python3
"""Writes the PyTorch import fixtures of test/lstm/pytorch.test.ts, in plain Python.

There is no PyTorch (nor numpy) where this library is tested, so this script implements the
equations that PyTorch documents for torch.nn.LSTM, torch.nn.GRU and torch.nn.Linear, on
weights laid out and named exactly as their state_dict() holds them, and writes:

  test/fixtures/pytorch-lstm.safetensors  the state_dict of
        class Net(nn.Module):              # keys 'lstm.weight_ih_l0', …, 'head.weight', 'head.bias'
            lstm = nn.LSTM(input_size=5, hidden_size=7, num_layers=2, batch_first=True)
            head = nn.Linear(7, 2)         # on the last step's output
  test/fixtures/pytorch-lstm.json         the input x [batch=3, steps=6, 5], the LSTM's output
        [3, 6, 7] (top layer, every step), h_n and c_n [2, 3, 7], and head(output[:, -1]) [3, 2]
  test/fixtures/pytorch-gru.safetensors   the state_dict of nn.GRU(4, 5, num_layers=2, batch_first=True)
  test/fixtures/pytorch-gru.json          its input x [2, 5, 4], output [2, 5, 5] and h_n [2, 2, 5]

The equations (https://pytorch.org/docs/stable/generated/torch.nn.LSTM.html and ….GRU.html),
row blocks of weight_ih_lk / weight_hh_lk / bias_*_lk in this order:

  LSTM (i, f, g, o):  i = σ(W_ii x + b_ii + W_hi h + b_hi)    f = σ(W_if x + b_if + W_hf h + b_hf)
                      g = tanh(W_ig x + b_ig + W_hg h + b_hg) o = σ(W_io x + b_io + W_ho h + b_ho)
                      c' = f ⊙ c + i ⊙ g                      h' = o ⊙ tanh(c')
  GRU (r, z, n):      r = σ(W_ir x + b_ir + W_hr h + b_hr)    z = σ(W_iz x + b_iz + W_hz h + b_hz)
                      n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))
                      h' = (1 − z) ⊙ n + z ⊙ h
  Linear:             y = x Wᵀ + b,  W [out, in]

Layer k > 0 takes layer k−1's h at every step; the state starts at zero. Weights are drawn
as PyTorch initializes them, U(−1/√H, 1/√H) (the linear head: U(−1/√in, 1/√in)), inputs
U(−2, 2), all from random.Random(SEED) (Mersenne Twister: the same on every Python 3), and
rounded to float32 before use, so that the file holds exactly the values the expected outputs
were computed from. The outputs are computed in float64 and written with 17 significant digits.

Run from the repository root:  python3 scripts/make-pytorch-fixture.py
The output is deterministic; the fixtures are committed and this script is only rerun to change them.
"""

import json
import math
import os
import random
import struct

SEED = 20240611
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
FIXTURES = os.path.join(ROOT, 'test', 'fixtures')


def f32(x):
    """x rounded to the nearest float32."""
    return struct.unpack('<f', struct.pack('<f', x))[0]


def uniform(rng, n, bound):
    return [f32(rng.uniform(-bound, bound)) for _ in range(n)]


def sigmoid(x):
    return 1.0 / (1.0 + math.exp(-x))


def matvec(w, rows, cols, x, row0=0):
    """(W x) for the rows row0 … row0+rows−1 of W [*, cols] (flat, row-major)."""
    return [sum(w[(row0 + r) * cols + c] * x[c] for c in range(cols)) for r in range(rows)]


def lstm_layer(xs, w_ih, w_hh, b_ih, b_hh, D, H):
    """xs: [T][D] → hs [T][H], h_T, c_T."""
    h = [0.0] * H
    c = [0.0] * H
    hs = []
    for x in xs:
        gx = matvec(w_ih, 4 * H, D, x)
        gh = matvec(w_hh, 4 * H, H, h)
        pre = [gx[j] + b_ih[j] + gh[j] + b_hh[j] for j in range(4 * H)]
        i = [sigmoid(pre[j]) for j in range(0, H)]
        f = [sigmoid(pre[j]) for j in range(H, 2 * H)]
        g = [math.tanh(pre[j]) for j in range(2 * H, 3 * H)]
        o = [sigmoid(pre[j]) for j in range(3 * H, 4 * H)]
        c = [f[j] * c[j] + i[j] * g[j] for j in range(H)]
        h = [o[j] * math.tanh(c[j]) for j in range(H)]
        hs.append(h)
    return hs, h, c


def gru_layer(xs, w_ih, w_hh, b_ih, b_hh, D, H):
    h = [0.0] * H
    hs = []
    for x in xs:
        gx = matvec(w_ih, 3 * H, D, x)
        gh = matvec(w_hh, 3 * H, H, h)
        r = [sigmoid(gx[j] + b_ih[j] + gh[j] + b_hh[j]) for j in range(H)]
        z = [sigmoid(gx[H + j] + b_ih[H + j] + gh[H + j] + b_hh[H + j]) for j in range(H)]
        n = [math.tanh(gx[2 * H + j] + b_ih[2 * H + j] + r[j] * (gh[2 * H + j] + b_hh[2 * H + j])) for j in range(H)]
        h = [(1.0 - z[j]) * n[j] + z[j] * h[j] for j in range(H)]
        hs.append(h)
    return hs, h


def write_safetensors(path, tensors, metadata):
    """tensors: list of (name, shape, flat float32 values). Writes F32, little-endian."""
    header = {'__metadata__': metadata}
    data = bytearray()
    for name, shape, values in tensors:
        assert len(values) == math.prod(shape), name
        begin = len(data)
        data += struct.pack('<%df' % len(values), *values)
        header[name] = {'dtype': 'F32', 'shape': shape, 'data_offsets': [begin, len(data)]}
    text = json.dumps(header, separators=(',', ':')).encode('utf-8')
    text += b' ' * (-len(text) % 8)  # pad the header to a multiple of 8 bytes, as safetensors does
    with open(path, 'wb') as out:
        out.write(struct.pack('<Q', len(text)))
        out.write(text)
        out.write(data)


def flat(nested):
    if isinstance(nested, list):
        return [v for item in nested for v in flat(item)]
    return [nested]


def rounded(values):
    return [float('%.17g' % v) for v in values]


def make_lstm(rng):
    D, H, L, O, B, T = 5, 7, 2, 2, 3, 6
    k = 1.0 / math.sqrt(H)
    tensors = []
    weights = []
    for layer in range(L):
        d = D if layer == 0 else H
        w = {
            'weight_ih': uniform(rng, 4 * H * d, k),
            'weight_hh': uniform(rng, 4 * H * H, k),
            'bias_ih': uniform(rng, 4 * H, k),
            'bias_hh': uniform(rng, 4 * H, k),
        }
        weights.append(w)
        tensors += [
            ('lstm.weight_ih_l%d' % layer, [4 * H, d], w['weight_ih']),
            ('lstm.weight_hh_l%d' % layer, [4 * H, H], w['weight_hh']),
            ('lstm.bias_ih_l%d' % layer, [4 * H], w['bias_ih']),
            ('lstm.bias_hh_l%d' % layer, [4 * H], w['bias_hh']),
        ]
    kh = 1.0 / math.sqrt(H)
    head_w = uniform(rng, O * H, kh)
    head_b = uniform(rng, O, kh)
    tensors += [('head.weight', [O, H], head_w), ('head.bias', [O], head_b)]
    x = [[uniform(rng, D, 2.0) for _ in range(T)] for _ in range(B)]

    outputs, h_n, c_n, head = [], [[None] * B for _ in range(L)], [[None] * B for _ in range(L)], []
    for b in range(B):
        seq = x[b]
        for layer in range(L):
            d = D if layer == 0 else H
            w = weights[layer]
            seq, h, c = lstm_layer(seq, w['weight_ih'], w['weight_hh'], w['bias_ih'], w['bias_hh'], d, H)
            h_n[layer][b] = h
            c_n[layer][b] = c
        outputs.append(seq)
        last = seq[-1]
        head.append([sum(head_w[o * H + j] * last[j] for j in range(H)) + head_b[o] for o in range(O)])

    write_safetensors(os.path.join(FIXTURES, 'pytorch-lstm.safetensors'), tensors, {
        'format': 'pt', 'generator': 'scripts/make-pytorch-fixture.py', 'seed': str(SEED)})
    expected = {
        'generator': 'scripts/make-pytorch-fixture.py',
        'seed': SEED,
        'module': 'nn.LSTM(input_size=5, hidden_size=7, num_layers=2, batch_first=True) as .lstm; nn.Linear(7, 2) as .head on output[:, -1]',
        'inputSize': D, 'hiddenSize': H, 'numLayers': L, 'outFeatures': O, 'batch': B, 'steps': T,
        'x': rounded(flat(x)),
        'output': rounded(flat(outputs)),
        'h_n': rounded(flat(h_n)),
        'c_n': rounded(flat(c_n)),
        'head': rounded(flat(head)),
    }
    with open(os.path.join(FIXTURES, 'pytorch-lstm.json'), 'w') as out:
        json.dump(expected, out, indent=1)
        out.write('\n')


def make_gru(rng):
    D, H, L, B, T = 4, 5, 2, 2, 5
    k = 1.0 / math.sqrt(H)
    tensors = []
    weights = []
    for layer in range(L):
        d = D if layer == 0 else H
        w = {
            'weight_ih': uniform(rng, 3 * H * d, k),
            'weight_hh': uniform(rng, 3 * H * H, k),
            'bias_ih': uniform(rng, 3 * H, k),
            'bias_hh': uniform(rng, 3 * H, k),
        }
        weights.append(w)
        tensors += [
            ('weight_ih_l%d' % layer, [3 * H, d], w['weight_ih']),
            ('weight_hh_l%d' % layer, [3 * H, H], w['weight_hh']),
            ('bias_ih_l%d' % layer, [3 * H], w['bias_ih']),
            ('bias_hh_l%d' % layer, [3 * H], w['bias_hh']),
        ]
    x = [[uniform(rng, D, 2.0) for _ in range(T)] for _ in range(B)]
    outputs, h_n = [], [[None] * B for _ in range(L)]
    for b in range(B):
        seq = x[b]
        for layer in range(L):
            d = D if layer == 0 else H
            w = weights[layer]
            seq, h = gru_layer(seq, w['weight_ih'], w['weight_hh'], w['bias_ih'], w['bias_hh'], d, H)
            h_n[layer][b] = h
        outputs.append(seq)
    write_safetensors(os.path.join(FIXTURES, 'pytorch-gru.safetensors'), tensors, {
        'format': 'pt', 'generator': 'scripts/make-pytorch-fixture.py', 'seed': str(SEED)})
    expected = {
        'generator': 'scripts/make-pytorch-fixture.py',
        'seed': SEED,
        'module': 'nn.GRU(input_size=4, hidden_size=5, num_layers=2, batch_first=True)',
        'inputSize': D, 'hiddenSize': H, 'numLayers': L, 'batch': B, 'steps': T,
        'x': rounded(flat(x)),
        'output': rounded(flat(outputs)),
        'h_n': rounded(flat(h_n)),
    }
    with open(os.path.join(FIXTURES, 'pytorch-gru.json'), 'w') as out:
        json.dump(expected, out, indent=1)
        out.write('\n')


def main():
    os.makedirs(FIXTURES, exist_ok=True)
    rng = random.Random(SEED)
    make_lstm(rng)
    make_gru(rng)
    print('wrote test/fixtures/pytorch-{lstm,gru}.{safetensors,json}')


if __name__ == '__main__':
    main()
