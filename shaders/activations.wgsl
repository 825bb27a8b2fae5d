// Activation functions shared by the recurrent step kernels. Prepended to a kernel's source;
// an activation is chosen by an override constant holding one of these ids:
//   0 tanh, 1 sigmoid, 2 hardSigmoid (clamp(0.2·x + 0.5, 0, 1), Keras 2), 3 relu, 4 linear.
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

fn activate(id: u32, x: f32) -> f32 {
  switch id {
    case 0u: { return tanh_stable(x); }
    case 1u: { return sigmoid(x); }
    case 2u: { return clamp(0.2 * x + 0.5, 0.0, 1.0); }
    case 3u: { return max(x, 0.0); }
    default: { return x; }
  }
}
