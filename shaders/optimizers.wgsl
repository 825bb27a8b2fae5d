// Fused optimizer update, in place on one weight and its state buffers (tf.keras ≥ 2.11 rules;
// the CPU twin and the formulas are in src/reference/optimizers.ts).
//
// Bindings (group 0):
//   @binding(0) W        read_write  [size]  the weight
//   @binding(1) G        read        [size]  its raw gradient
//   @binding(2) S0       read_write  [size]  state buffer 0 (m, velocity, accumulator, …)
//   @binding(3) S1       read_write  [size]  state buffer 1 (a 16-byte dummy for 1-slot rules)
//   @binding(4) control  read        [1 + weights]  f32: status, then one factor per weight
//   @binding(5) p        uniform     Params
// Dispatch: (min(ceil(size / WG), maxGroups)); one invocation per element, grid-stride.
//
// Every invocation first reads control[0]: when it is not 0 (a non-finite loss or gradient was
// seen, see grad_control.wgsl) nothing is written. Otherwise, for element i:
//   g = G[i]·control[1 + controlIndex]            (clipnorm / globalClipnorm factor, else 1)
//   g = clamp(g, −clipvalue, clipvalue)           (CLIP_VALUE only)
//   g = g + l1·sign(W[i]) + 2·l2·W[i]             (Keras L1 / L2 regularizer gradients)
// then the rule RULE: 0 sgd, 1 rmsprop, 2 adagrad, 3 adadelta, 4 adam, 5 adamax, 6 nadam.
// Step-dependent scalars c0..c2 are computed by the host in Float64 (lstm/optimizerConfig.ts,
// stepScalars): adam c0 = α_t; adamax c0 = 1 − β1^t; nadam c0 = u_{t+1}/(1 − Π_{t+1}),
// c1 = (1 − u_t)/(1 − Π_t), c2 = 1 − β2^t.

struct Params {
  size: u32,
  controlIndex: u32,
  _pad0: u32,
  _pad1: u32,
  lr: f32,
  momentum: f32,
  rho: f32,
  epsilon: f32,
  beta1: f32,
  beta2: f32,
  clipvalue: f32,
  l1: f32,
  l2: f32,
  c0: f32,
  c1: f32,
  c2: f32,
}

override WG: u32 = 256;
override RULE: u32 = 0u;
override NESTEROV: bool = false;
override CLIP_VALUE: bool = false;

@group(0) @binding(0) var<storage, read_write> W: array<f32>;
@group(0) @binding(1) var<storage, read> G: array<f32>;
@group(0) @binding(2) var<storage, read_write> S0: array<f32>;
@group(0) @binding(3) var<storage, read_write> S1: array<f32>;
@group(0) @binding(4) var<storage, read> control: array<f32>;
@group(0) @binding(5) var<uniform> p: Params;

fn update(i: u32, factor: f32) {
  let w = W[i];
  var g = G[i] * factor;
  if (CLIP_VALUE) {
    g = clamp(g, -p.clipvalue, p.clipvalue);
  }
  g = g + p.l1 * sign(w) + 2.0 * p.l2 * w;

  switch RULE {
    case 0u: { // sgd
      let m = -g * p.lr + S0[i] * p.momentum;
      S0[i] = m;
      if (NESTEROV) {
        W[i] = w + (-g * p.lr + m * p.momentum);
      } else {
        W[i] = w + m;
      }
    }
    case 1u: { // rmsprop (not centered)
      let v = p.rho * S0[i] + (1.0 - p.rho) * g * g;
      let increment = p.lr * g / sqrt(v + p.epsilon);
      let mom = p.momentum * S1[i] + increment;
      S0[i] = v;
      S1[i] = mom;
      W[i] = w - mom;
    }
    case 2u: { // adagrad
      let a = S0[i] + g * g;
      S0[i] = a;
      W[i] = w - p.lr * g / sqrt(a + p.epsilon);
    }
    case 3u: { // adadelta
      let accGrad = p.rho * S0[i] + (1.0 - p.rho) * g * g;
      let accDelta = S1[i];
      let delta = -sqrt(accDelta + p.epsilon) * g / sqrt(accGrad + p.epsilon);
      S0[i] = accGrad;
      S1[i] = p.rho * accDelta + (1.0 - p.rho) * delta * delta;
      W[i] = w + p.lr * delta;
    }
    case 4u: { // adam (no amsgrad)
      let m = S0[i] + (g - S0[i]) * (1.0 - p.beta1);
      let v = S1[i] + (g * g - S1[i]) * (1.0 - p.beta2);
      S0[i] = m;
      S1[i] = v;
      W[i] = w - (m * p.c0) / (sqrt(v) + p.epsilon);
    }
    case 5u: { // adamax
      let m = S0[i] + (g - S0[i]) * (1.0 - p.beta1);
      let u = max(p.beta2 * S1[i], abs(g));
      S0[i] = m;
      S1[i] = u;
      W[i] = w - (p.lr * m) / (p.c0 * (u + p.epsilon));
    }
    default: { // nadam
      let m = S0[i] + (g - S0[i]) * (1.0 - p.beta1);
      let v = S1[i] + (g * g - S1[i]) * (1.0 - p.beta2);
      S0[i] = m;
      S1[i] = v;
      let mHat = p.c0 * m + p.c1 * g;
      let vHat = v / p.c2;
      W[i] = w - (mHat * p.lr) / (sqrt(vHat) + p.epsilon);
    }
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  if (control[0] != 0.0) {
    return;
  }
  let factor = control[1u + p.controlIndex];
  let stride = groups.x * WG;
  for (var i = gid.x; i < p.size; i += stride) {
    update(i, factor);
  }
}
