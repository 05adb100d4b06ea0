// meta_layout.h: where the parts of the interpreter's meta[] array go
// (shaders/vm/vm_abi.h): the header, one descriptor per table, data segment
// and element segment, then the handle -> function map and the signature
// ids. One definition for every host that builds a meta array: the
// standalone executor (gpu_exec.cpp) and the process loader (program.cpp).
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>

#include "shaders/vm/vm_abi.h"

namespace gpuos::vm::gpu {

struct MetaLayout {
  uint32_t tables_off, data_off, elem_off, addr_off, sig_off;
  uint32_t words;  // the whole array
};

inline MetaLayout meta_layout(uint32_t tables, uint32_t datas, uint32_t elems, uint32_t addr_len, uint32_t types) {
  MetaLayout l{};
  l.tables_off = VM_META_HEADER_WORDS;
  l.data_off = l.tables_off + tables * VM_DESC_WORDS;
  l.elem_off = l.data_off + datas * VM_DESC_WORDS;
  l.addr_off = l.elem_off + elems * VM_DESC_WORDS;
  l.sig_off = l.addr_off + addr_len;
  l.words = l.sig_off + types;
  return l;
}

// Fills the header words and the signature ids of a zeroed meta array of
// l.words words. The descriptors and the handle map are the caller's.
inline void write_meta_header(uint32_t* meta, const MetaLayout& l, uint32_t num_tables, uint32_t addr_len,
                              std::span<const uint32_t> sig_ids) {
  meta[VM_META_NUM_TABLES] = num_tables;
  meta[VM_META_TABLES_OFF] = l.tables_off;
  meta[VM_META_DATA_OFF] = l.data_off;
  meta[VM_META_ELEM_OFF] = l.elem_off;
  meta[VM_META_ADDR_OFF] = l.addr_off;
  meta[VM_META_ADDR_LEN] = addr_len;
  meta[VM_META_SIG_OFF] = l.sig_off;
  std::copy(sig_ids.begin(), sig_ids.end(), meta + l.sig_off);
}

}  // namespace gpuos::vm::gpu
