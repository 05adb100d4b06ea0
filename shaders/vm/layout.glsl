// layout.glsl: the interpreter's buffers and push constants (vm_abi.h has
// the word layouts). Plain, non-coherent buffers: a lane touches only its own
// lane header, control stack and slots, and the spec executor runs one lane
// per instance; lanes sharing one instance's memory race as wasm code
// without threads would (no atomics: see "Known limits" in vm_run.comp).
#extension GL_EXT_shader_explicit_arithmetic_types_int64 : require

layout(std430, binding = 0) readonly buffer CodeBuf { uint code[]; };
layout(std430, binding = 1) readonly buffer FuncBuf { uint funcs[]; };
layout(std430, binding = 2) buffer GlobalBuf { uint64_t globals[]; };
layout(std430, binding = 3) buffer MemBuf { uint mem[]; };
layout(std430, binding = 4) buffer TableBuf { uint64_t tabs[]; };
layout(std430, binding = 5) buffer MetaBuf { uint meta[]; };
layout(std430, binding = 6) readonly buffer SegBuf { uint segdata[]; };
layout(std430, binding = 7) buffer LaneBuf { uint lanes[]; };
layout(std430, binding = 8) buffer SlotBuf { uint64_t slots[]; };

layout(push_constant) uniform Push {
  uint num_lanes;
  uint slice_ticks;     // tick budget of one launch (lavapipe: well under 65,535)
  uint slots_per_lane;
  uint max_depth;       // nested calls before CallStackExhausted
  uint zero;            // always 0. Compiled code (procs/jit) XORs its constants with it, so
                        // that drivers cannot fold IEEE-unsafe identities such as x / 0.0 -> 0
                        // (llvmpipe did: float_exprs.wast); the interpreter never sees constants.
} P;
