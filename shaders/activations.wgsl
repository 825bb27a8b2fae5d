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

// The derivative of activation `id` at x, given y = activate(id, x) (every supported
// activation's derivative is a function of its output).
fn activate_grad_from_output(id: u32, y: f32) -> f32 {
  switch id {
    case 0u: { return 1.0 - y * y; }
    case 1u: { return y * (1.0 - y); }
    case 2u: { return select(0.0, 0.2, y > 0.0 && y < 1.0); }
    case 3u: { return select(0.0, 1.0, y > 0.0); }
    default: { return 1.0; }
  }
}
