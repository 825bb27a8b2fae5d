// The PCG hash (Jarzynski & Olano 2020, "Hash Functions for GPU Rendering"): a u32 → u32
// bijection, the counter-based random source of dropout.wgsl and sample_token.wgsl, written
// in u32 arithmetic as src/init/dropoutMask.ts's pcgHash is on the CPU.
fn pcg(v: u32) -> u32 {
  let state = v * 747796405u + 2891336453u;
  let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
  return (word >> 22u) ^ word;
}
