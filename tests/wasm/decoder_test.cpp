// decoder_test.cpp: binary decoding into Module, and malformed-module errors
// (class, spec wording, offsets and locations in the detail).
#include "procs/wasm/decoder.h"

#include <gtest/gtest.h>

#include <string>

#include "procs/wasm/diagnostic.h"
#include "procs/wasm/opcodes.h"
#include "tests/wasm/wasm_builder.h"

namespace gpuos::wasm {
namespace {

using namespace test;
using VT = ValType;

// Expects decode_module to fail with `code` and a detail starting with `reason`.
void expect_decode_error(const Bytes& bytes, WasmError code, const std::string& reason,
                         const std::string& also_contains = "") {
  const auto r = decode_module(bytes);
  ASSERT_FALSE(r.ok()) << "expected: " << reason;
  EXPECT_EQ(r.code(), code) << r.detail();
  EXPECT_EQ(r.detail().rfind(reason, 0), 0u) << r.detail();
  if (!also_contains.empty()) {
    EXPECT_NE(r.detail().find(also_contains), std::string::npos) << r.detail();
  }
}

TEST(Decoder, EmptyModule) {
  const auto r = decode_module(header());
  ASSERT_TRUE(r.ok()) << r.detail();
  EXPECT_TRUE(r->types.empty());
  EXPECT_EQ(r->num_funcs(), 0u);
  EXPECT_FALSE(r->start.has_value());
}

TEST(Decoder, Header) {
  expect_decode_error({}, WasmError::Malformed, "unexpected end", "module header");
  expect_decode_error({0x00, 0x61, 0x73}, WasmError::Malformed, "unexpected end");
  expect_decode_error({0x00, 0x61, 0x73, 0x6e, 1, 0, 0, 0}, WasmError::Malformed, "magic header not detected",
                      "at 0x0");
  expect_decode_error({0x00, 0x61, 0x73, 0x6d, 2, 0, 0, 0}, WasmError::Malformed, "unknown binary version",
                      "at 0x4");
  expect_decode_error({0x00, 0x61, 0x73, 0x6d, 1, 0}, WasmError::Malformed, "unexpected end");
}

TEST(Decoder, AllSections) {
  ModuleBuilder b;
  const uint32_t t0 = b.add_type({VT::I32, VT::I64}, {VT::F32});
  const uint32_t t1 = b.add_type({}, {});
  b.import_func("env", "f", t0);
  b.import_raw("env", "t", cat({{0x01, 0x6f}, limits(1, 10)}));
  b.import_raw("env", "m", cat({{0x02}, limits(1)}));
  b.import_raw("env", "g", {0x03, 0x7f, 0x00});
  const uint32_t f1 = b.add_func(t1, {{3, VT::I32}, {2, VT::F64}}, {0x01, 0x0b});
  b.add_table(VT::FuncRef, 2);
  b.add_global(VT::I64, true, cat({{0x42}, sleb(-5), {0x0b}}));
  b.add_export("run", ExternKind::Func, f1);
  b.add_export("mem", ExternKind::Memory, 0);
  b.set_start(f1);
  b.add_elem_raw(cat({{0x00}, i32_const(1), {0x0b}, vec({uleb(f1)})}));           // active, table 0, funcidx
  b.add_elem_raw(cat({{0x05, 0x70}, vec({{0xd2, 0x01, 0x0b}, {0xd0, 0x70, 0x0b}})}));  // passive, exprs
  b.add_elem_raw(cat({{0x03, 0x00}, vec({uleb(f1)})}));                            // declarative
  b.add_elem_raw(cat({{0x06}, uleb(1), i32_const(0), {0x0b, 0x70}, vec({})}));     // active, table 1, exprs
  b.add_data_raw(cat({{0x00}, i32_const(8), {0x0b}, str("hi")}));
  b.add_data_raw(cat({{0x01}, str("xyz")}));
  b.set_data_count(2);
  b.add_custom("producers", {1, 2, 3});
  const Bytes bytes = b.build();

  const auto r = decode_module(bytes);
  ASSERT_TRUE(r.ok()) << r.detail();
  const Module& m = r.value();
  ASSERT_EQ(m.types.size(), 2u);
  EXPECT_EQ(m.types[0].params, (std::vector<VT>{VT::I32, VT::I64}));
  EXPECT_EQ(m.types[0].results, (std::vector<VT>{VT::F32}));

  ASSERT_EQ(m.imports.size(), 4u);
  EXPECT_EQ(m.imports[1].kind, ExternKind::Table);
  EXPECT_EQ(m.imports[1].table.elem_type, VT::ExternRef);
  EXPECT_EQ(m.imports[1].table.limits.max, 10u);
  EXPECT_EQ(m.imports[3].global.type, VT::I32);
  EXPECT_EQ(m.num_imported_funcs, 1u);
  EXPECT_EQ(m.num_imported_tables, 1u);
  EXPECT_EQ(m.num_imported_memories, 1u);
  EXPECT_EQ(m.num_imported_globals, 1u);

  ASSERT_EQ(m.num_funcs(), 2u);
  EXPECT_EQ(m.func_type_indices, (std::vector<uint32_t>{t0, t1}));
  ASSERT_EQ(m.functions.size(), 1u);
  const Function& f = m.functions[0];
  EXPECT_EQ(f.num_locals, 5u);
  ASSERT_EQ(f.locals.size(), 2u);
  EXPECT_EQ(f.locals[1].type, VT::F64);
  EXPECT_EQ(f.code_offset, f.body_offset + 5);
  EXPECT_EQ(f.body_end, f.code_offset + 2);
  EXPECT_EQ(m.bytes[f.code_offset], 0x01);
  EXPECT_EQ(f.instr_count, 2u);
  EXPECT_EQ(m.defined_func(1), &m.functions[0]);
  EXPECT_EQ(m.defined_func(0), nullptr);

  ASSERT_EQ(m.tables.size(), 2u);
  EXPECT_EQ(m.tables[1].elem_type, VT::FuncRef);
  ASSERT_EQ(m.globals.size(), 2u);
  EXPECT_TRUE(m.globals[0].imported);
  EXPECT_TRUE(m.globals[1].type.is_mutable);
  EXPECT_EQ(m.globals[1].init.op, Op::I64Const);
  EXPECT_EQ(static_cast<int64_t>(m.globals[1].init.bits), -5);
  EXPECT_EQ(m.globals[1].init.instr_count, 1u);

  ASSERT_EQ(m.exports.size(), 2u);
  EXPECT_EQ(m.exports[0].name, "run");
  EXPECT_EQ(m.start, f1);

  ASSERT_EQ(m.elements.size(), 4u);
  EXPECT_EQ(m.elements[0].mode, SegmentMode::Active);
  EXPECT_EQ(m.elements[0].offset_expr.op, Op::I32Const);
  EXPECT_EQ(m.elements[0].func_indices, (std::vector<uint32_t>{f1}));
  EXPECT_EQ(m.elements[1].mode, SegmentMode::Passive);
  ASSERT_EQ(m.elements[1].exprs.size(), 2u);
  EXPECT_EQ(m.elements[1].exprs[0].op, Op::RefFunc);
  EXPECT_EQ(m.elements[1].exprs[1].op, Op::RefNull);
  EXPECT_EQ(m.elements[2].mode, SegmentMode::Declarative);
  EXPECT_EQ(m.elements[3].table_index, 1u);
  EXPECT_TRUE(m.elements[3].uses_exprs);

  ASSERT_EQ(m.data.size(), 2u);
  EXPECT_EQ(m.data_count, 2u);
  EXPECT_EQ(static_cast<int64_t>(m.data[0].offset_expr.bits), 8);
  const ByteSpan payload = m.payload(m.data[1]);
  EXPECT_EQ(std::string(payload.begin(), payload.end()), "xyz");
  EXPECT_EQ(m.data[1].mode, SegmentMode::Passive);

  ASSERT_EQ(m.custom_sections.size(), 1u);
  EXPECT_EQ(m.custom_sections[0].name, "producers");
  EXPECT_EQ(m.custom_sections[0].payload_size, 3u);
}

TEST(Decoder, SectionFraming) {
  expect_decode_error(cat({header(), {0x0d, 0x00}}), WasmError::Malformed, "malformed section id");
  const Bytes type_section = section(1, vec({{0x60, 0x00, 0x00}}));
  expect_decode_error(cat({header(), type_section, type_section}), WasmError::Malformed,
                      "unexpected content after last section");
  expect_decode_error(cat({header(), section(3, vec({})), section(1, vec({}))}), WasmError::Malformed,
                      "unexpected content after last section");
  // Type section with one spare byte.
  expect_decode_error(cat({header(), section(1, cat({vec({{0x60, 0x00, 0x00}}), {0x00}}))}), WasmError::Malformed,
                      "section size mismatch", "type section");
  // Section longer than the module.
  expect_decode_error(cat({header(), {0x01, 0x10, 0x00}}), WasmError::Malformed, "length out of bounds");
  // Custom sections may appear anywhere, even between ordered sections.
  const auto ok = decode_module(cat({header(), section(0, str("a")), type_section, section(0, str("b"))}));
  EXPECT_TRUE(ok.ok()) << ok.detail();
}

TEST(Decoder, HugeCountsDoNotAllocate) {
  // A count of 2^32-1 with nothing behind it is refused up front.
  expect_decode_error(cat({header(), section(1, uleb(0xffffffffu))}), WasmError::Malformed,
                      "length out of bounds");
  // A count that fits the module but not the section fails at the section end.
  Bytes big = cat({header(), section(3, uleb(1000)), section(0, cat({str("pad"), Bytes(2000, 0)}))});
  const auto r = decode_module(big);
  EXPECT_FALSE(r.ok());
}

TEST(Decoder, FunctionAndCodeCounts) {
  ModuleBuilder b;
  b.add_type({}, {});
  Bytes only_funcs = cat({header(), section(1, vec({{0x60, 0, 0}})), section(3, vec({uleb(0)}))});
  expect_decode_error(only_funcs, WasmError::Malformed, "function and code section have inconsistent lengths");
  Bytes only_code = cat({header(), section(10, vec({{0x02, 0x00, 0x0b}}))});
  expect_decode_error(only_code, WasmError::Malformed, "function and code section have inconsistent lengths");
}

TEST(Decoder, BodyErrorsNameFunctionAndOffset) {
  ModuleBuilder b;
  const uint32_t t = b.add_type({}, {});
  b.import_func("env", "x", t);
  b.add_func(t, {}, {0x01, 0x0b});
  b.add_func(t, {}, {0x01, 0x01, 0xff, 0x0b});  // illegal opcode at body +0x3
  const auto r = decode_module(b.build());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.code(), WasmError::Malformed);
  EXPECT_EQ(reason_of(r.detail()), "illegal opcode 0xff");
  EXPECT_NE(r.detail().find("code section, function 2, body +0x3)"), std::string::npos) << r.detail();
}

TEST(Decoder, BodyFraming) {
  ModuleBuilder b;
  const uint32_t t = b.add_type({}, {});
  b.add_func(t, {}, {0x01, 0x0b, 0x01});  // a byte after the final end
  expect_decode_error(b.build(), WasmError::Malformed, "section size mismatch");

  ModuleBuilder c;
  c.add_type({}, {});
  c.add_func(0, {}, {0x02, 0x40, 0x0b});  // block never closed: runs off the body
  expect_decode_error(c.build(), WasmError::Malformed, "unexpected end");
}

TEST(Decoder, Locals) {
  ModuleBuilder b;
  b.add_type({}, {});
  b.add_func(0, {{0xffffffffu, VT::I32}, {1, VT::I64}}, {0x0b});
  expect_decode_error(b.build(), WasmError::Malformed, "too many locals");

  ModuleBuilder c;
  c.add_type({}, {});
  c.add_func(0, {{kMaxFunctionLocals, VT::I32}, {1, VT::I64}}, {0x0b});
  expect_decode_error(c.build(), WasmError::LimitExceeded, "too many locals");

  ModuleBuilder d;
  d.add_type({}, {});
  d.add_func(0, {{kMaxFunctionLocals, VT::I32}}, {0x0b});
  EXPECT_TRUE(decode_module(d.build()).ok());
}

TEST(Decoder, DataCount) {
  ModuleBuilder b;
  b.add_type({}, {});
  b.add_memory(1);
  b.add_func(0, {}, {0xfc, 0x09, 0x00, 0x0b});  // data.drop 0
  b.add_data_raw(cat({{0x01}, str("x")}));
  expect_decode_error(b.build(), WasmError::Malformed, "data count section required");
  b.set_data_count(1);
  EXPECT_TRUE(decode_module(b.build()).ok());
  b.set_data_count(2);
  expect_decode_error(b.build(), WasmError::Malformed, "data count and data section have inconsistent lengths");
}

TEST(Decoder, TypesAndKinds) {
  expect_decode_error(cat({header(), section(1, vec({{0x60, 0x01, 0x7b, 0x00}}))}), WasmError::Unsupported,
                      "malformed value type", "v128");
  expect_decode_error(cat({header(), section(1, vec({{0x60, 0x01, 0x55, 0x00}}))}), WasmError::Malformed,
                      "malformed value type");
  expect_decode_error(cat({header(), section(1, vec({{0x5f, 0x00, 0x00}}))}), WasmError::Malformed,
                      "malformed function type");
  expect_decode_error(cat({header(), section(2, vec({cat({str("a"), str("b"), {0x04, 0x00}})}))}),
                      WasmError::Malformed, "malformed import kind");
  expect_decode_error(cat({header(), section(6, vec({{0x7f, 0x02, 0x41, 0x00, 0x0b}}))}), WasmError::Malformed,
                      "malformed mutability");
  expect_decode_error(cat({header(), section(4, vec({{0x7f, 0x00, 0x00}}))}), WasmError::Malformed,
                      "malformed reference type");
  expect_decode_error(cat({header(), section(5, vec({{0x03, 0x01, 0x01}}))}), WasmError::Unsupported,
                      "integer too large", "shared memory");
  expect_decode_error(cat({header(), section(4, vec({{0x70, 0x02, 0x00}}))}), WasmError::Malformed,
                      "integer too large");
  expect_decode_error(cat({header(), section(9, vec({{0x08}}))}), WasmError::Malformed,
                      "malformed elements segment kind");
  expect_decode_error(cat({header(), section(11, vec({{0x03}}))}), WasmError::Malformed,
                      "malformed data segment kind");
  expect_decode_error(cat({header(), section(7, vec({cat({str("e"), {0x04, 0x00}})}))}), WasmError::Malformed,
                      "malformed export kind");
  expect_decode_error(cat({header(), section(0, {0x02, 0xc0, 0x80})}), WasmError::Malformed,
                      "malformed UTF-8 encoding");
}

TEST(Decoder, TooManyParamsIsALimit) {
  Bytes type{0x60};
  type = cat({type, uleb(kMaxFunctionParams + 1), Bytes(kMaxFunctionParams + 1, 0x7f), {0x00}});
  expect_decode_error(cat({header(), section(1, vec({type}))}), WasmError::LimitExceeded, "too many parameters");
}

TEST(Decoder, NameSection) {
  ModuleBuilder b;
  b.add_type({}, {});
  b.add_func(0, {}, {0x0b});
  b.add_func(0, {}, {0x0b});
  const Bytes func_names = vec({cat({uleb(0), str("first")}), cat({uleb(1), str("second")})});
  b.add_custom("name", cat({section(0, str("mod")), section(1, func_names), section(2, vec({}))}));
  const auto r = decode_module(b.build());
  ASSERT_TRUE(r.ok()) << r.detail();
  EXPECT_TRUE(r->names.valid);
  EXPECT_EQ(r->names.module_name, "mod");
  EXPECT_EQ(r->function_name(1), "second");
  EXPECT_EQ(r->function_name(7), "");
}

TEST(Decoder, BadNameSectionIsIgnored) {
  ModuleBuilder b;
  b.add_type({}, {});
  b.add_func(0, {}, {0x0b});
  // Function name map with a truncated entry, and one with indices out of order.
  b.add_custom("name", cat({{0x01, 0x05}, uleb(2), uleb(0), str("x")}));
  const auto r = decode_module(b.build());
  ASSERT_TRUE(r.ok()) << r.detail();
  EXPECT_FALSE(r->names.valid);
  EXPECT_EQ(r->function_name(0), "");

  ModuleBuilder c;
  c.add_type({}, {});
  c.add_func(0, {}, {0x0b});
  c.add_custom("name", section(1, vec({cat({uleb(3), str("a")}), cat({uleb(1), str("b")})})));
  const auto r2 = decode_module(c.build());
  ASSERT_TRUE(r2.ok());
  EXPECT_FALSE(r2->names.valid);
}

TEST(Decoder, UnsupportedOpcodeInBody) {
  ModuleBuilder b;
  b.add_type({}, {});
  b.add_func(0, {}, {0xfd, 0x0c, 0x0b});
  expect_decode_error(b.build(), WasmError::Unsupported, "unsupported opcode 0xfd", "SIMD");
}

TEST(Decoder, LoadModuleAlsoValidates) {
  ModuleBuilder b;
  b.add_type({}, {VT::I32});
  b.add_func(0, {}, {0x0b});  // missing result
  const Bytes bytes = b.build();
  EXPECT_TRUE(decode_module(bytes).ok());
  const auto r = load_module(bytes);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.code(), WasmError::Invalid);
}

}  // namespace
}  // namespace gpuos::wasm
