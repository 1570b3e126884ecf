// ---- _lib/map4.wgsl: Params and operand loads shared by elementwise/{unary4,binary4,ternary4} ----
// n4 = vec4s in this dispatch; bcast = bit k set where operand k (a, b, c) is one element broadcast (stride 0); s0, s1 =
// OP's scalar operands; base = element offsets (a, b, c, out) in the bound windows: multiples of 4 for the streamed
// operands and the output, any element for a broadcast one.
struct Params { n4: u32, bcast: u32, s0: f32, s1: f32, base: vec4u }
/** vec4s per invocation. */
const PER: u32 = 2u;
