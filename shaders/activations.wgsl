// Activation functions shared by the kernels. Prepended to a kernel's source; an activation is
// chosen by an override constant holding one of these ids (kernels/activations.ts):
//   0 tanh, 1 sigmoid, 2 hardSigmoid (clamp(0.2·x + 0.5, 0, 1), Keras 2), 3 relu, 4 linear,
//   5 elu (α = 1), 6 selu (Keras's α and scale), 7 softplus, 8 softsign, 9 gelu (exact:
//   x·Φ(x), Φ the normal CDF), 10 swish (x·σ(x)).
// Φ comes from erfc by Abramowitz & Stegun 7.1.26 (absolute error ≤ 1.5e-7; its relative error
// grows in the far tail), on |x| so that Φ of a negative x is not 1 minus a number near 1.
// tanh and sigmoid are written with exp so that they saturate to ±1 / 0..1 for any |x|
// (no inf/inf NaN); absolute error ≤ 1e-7 near 0.

fn tanh_stable(x: f32) -> f32 {
  let e = exp(-2.0 * abs(x));
  return sign(x) * (1.0 - e) / (1.0 + e);
}

fn sigmoid(x: f32) -> f32 {
  if (x >= 0.0) {
    return 1.0 / (1.0 + exp(-x));
  }
  let e = exp(x);
  return e / (1.0 + e);
}

// Φ(x) = P(N(0, 1) ≤ x) = erfc(−x/√2) / 2.
fn normal_cdf(x: f32) -> f32 {
  let z = abs(x) * 0.70710678118654752;
  let t = 1.0 / (1.0 + 0.3275911 * z);
  let poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  let tail = 0.5 * poly * exp(-z * z); // erfc(z) / 2 = Φ(−|x|)
  return select(1.0 - tail, tail, x < 0.0);
}

const SELU_ALPHA: f32 = 1.6732632423543772;
const SELU_SCALE: f32 = 1.0507009873554805;

fn activate(id: u32, x: f32) -> f32 {
  switch id {
    case 0u: { return tanh_stable(x); }
    case 1u: { return sigmoid(x); }
    case 2u: { return clamp(0.2 * x + 0.5, 0.0, 1.0); }
    case 3u: { return max(x, 0.0); }
    case 5u: { return select(exp(min(x, 0.0)) - 1.0, x, x > 0.0); }
    case 6u: { return SELU_SCALE * select(SELU_ALPHA * (exp(min(x, 0.0)) - 1.0), x, x > 0.0); }
    // log(1 + eˣ) without overflow: max(x, 0) + log(1 + e^−|x|).
    case 7u: { return max(x, 0.0) + log(1.0 + exp(-abs(x))); }
    case 8u: { return x / (1.0 + abs(x)); }
    case 9u: { return x * normal_cdf(x); }
    case 10u: { return x * sigmoid(x); }
    default: { return x; }
  }
}

// The derivative of activation `id` at its input x: gelu Φ(x) + x·φ(x), swish σ(x)·(1 + x·(1 − σ(x)));
// the others from their output.
fn activate_grad_from_input(id: u32, x: f32) -> f32 {
  switch id {
    case 9u: { return normal_cdf(x) + x * 0.3989422804014327 * exp(-0.5 * x * x); }
    case 10u: {
      let s = sigmoid(x);
      return s * (1.0 + x * (1.0 - s));
    }
    default: { return activate_grad_from_output(id, activate(id, x)); }
  }
}

// The derivative of activation `id` at x, given y = activate(id, x), for the activations whose
// derivative is a function of their output (all but gelu and swish: activate_grad_from_input).
fn activate_grad_from_output(id: u32, y: f32) -> f32 {
  switch id {
    case 0u: { return 1.0 - y * y; }
    case 1u: { return y * (1.0 - y); }
    case 2u: { return select(0.0, 0.2, y > 0.0 && y < 1.0); }
    case 3u: { return select(0.0, 1.0, y > 0.0); }
    case 5u: { return select(y + 1.0, 1.0, y > 0.0); }
    case 6u: { return select(y + SELU_SCALE * SELU_ALPHA, SELU_SCALE, y > 0.0); }
    // σ(x) = 1 − e^−softplus(x).
    case 7u: { return 1.0 - exp(-y); }
    case 8u: { return (1.0 - abs(y)) * (1.0 - abs(y)); }
    default: { return 1.0; }
  }
}

// Whether activation `id`'s derivative needs its input (gelu, swish), not only its output.
fn needs_input(id: u32) -> bool {
  return id == 9u || id == 10u;
}

// What a recurrent cell keeps of an activation for its backward: the output y, or its input z
// where the derivative needs it (needs_input).
fn kept_activation(id: u32, z: f32, y: f32) -> f32 {
  return select(y, z, needs_input(id));
}

// The activation's (output, derivative) from what kept_activation kept.
fn from_kept(id: u32, kept: f32) -> vec2f {
  if (needs_input(id)) {
    return vec2f(activate(id, kept), activate_grad_from_input(id, kept));
  }
  return vec2f(kept, activate_grad_from_output(id, kept));
}
