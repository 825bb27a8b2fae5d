// Gradient through an activation: dZ = dY ⊙ act'(Z), act' taken from the output Y = act(Z), or
// with FROM_INPUT (gelu, swish) from Z itself, bound in Y's place. For softmax (SOFTMAX):
// dZ[r, c] = Y[r, c]·(dY[r, c] − Σ_k dY[r, k]·Y[r, k]).
//
// Bindings (group 0):
//   @binding(0) Y   read        [R, C] the activation's output (FROM_INPUT: its input Z)
//   @binding(1) dY  read        [R, C]
//   @binding(2) dZ  read_write  [R, C]
//   @binding(3) p   uniform     { R, C }
// Dispatch: (ceil(R·C / WG), 1); one invocation an element (softmax: a row dot product each).

struct Params {
  R: u32,
  C: u32,
}

override WG: u32 = 64;
override ACTIVATION: u32 = 4u;
override SOFTMAX: bool = false;
override FROM_INPUT: bool = false;

@group(0) @binding(0) var<storage, read> Y: array<f32>;
@group(0) @binding(1) var<storage, read> dY: array<f32>;
@group(0) @binding(2) var<storage, read_write> dZ: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) id: vec3u) {
  let e = id.x;
  if (e >= p.R * p.C) {
    return;
  }
  if (SOFTMAX) {
    let row = (e / p.C) * p.C;
    var dot = 0.0;
    for (var k = 0u; k < p.C; k++) {
      dot += dY[row + k] * Y[row + k];
    }
    dZ[e] = Y[e] * (dY[e] - dot);
    return;
  }
  if (FROM_INPUT) {
    dZ[e] = dY[e] * activate_grad_from_input(ACTIVATION, Y[e]);
    return;
  }
  dZ[e] = dY[e] * activate_grad_from_output(ACTIVATION, Y[e]);
}
