// ops_bulk.glsl: memory.init/copy/fill, data.drop and the table
// instructions, included by interp.glsl (uses its lane registers and the
// includer's META/TAB accessors).
//
// Bulk instructions are resumable: each execution does at most VM_CHUNK
// units (bulk_ counts the units done) and stays on the same instruction
// until all are done, so no single instruction can run a long loop (the
// lavapipe loop budget). Bounds are re-checked on every chunk; they can
// only have been true before, so the first check is the one that traps,
// before any effect, and later ones pass.

// Metered code pays for a bulk memory instruction's bytes before its first
// chunk (interp.glsl, VM_FUEL); false: out of fuel (trap_ is set).
bool bulk_fuel(uint n) {
#ifdef VM_FUEL
  return bulk_ != 0u || vm_fuel_take(uint64_t(n / VM_FUEL_BYTES_PER_UNIT));
#else
  return true;
#endif
}

// Returns the next pc: pc_ itself while a bulk instruction is unfinished.
uint bulk_op(uint op) {
  switch (op) {
    case 0x0108u: {  // memory.init k:data a:dst b:src c:len
      uint dd = META(VM_META_DATA_OFF) + O(0u) * VM_DESC_WORDS;
      uint d = uint(S(O(1u))), s = uint(S(O(2u))), n = uint(S(O(3u)));
      if (!bulk_fuel(n)) return pc_;
      uint size = META(dd + VM_SD_DROPPED) != 0u ? 0u : META(dd + VM_SD_LEN);
      if (uint64_t(s) + n > uint64_t(size) || uint64_t(d) + n > mem_bytes()) { trap_ = 2u; return pc_; }
      uint e = bulk_end(n), base = META(dd + VM_SD_BASE);
      for (uint i = bulk_; i < e; ++i) store_part(uint64_t(d + i), seg_byte(base + s + i), 1u);
      ticks_ += e - bulk_;
      bulk_ = e < n ? e : 0u;
      return e < n ? pc_ : pc_ + 5u;
    }
    case 0x0109u:  // data.drop k:data
      META(META(VM_META_DATA_OFF) + O(0u) * VM_DESC_WORDS + VM_SD_DROPPED) = 1u;
      return pc_ + 2u;
    case 0x010au: {  // memory.copy a:dst b:src c:len (backwards when dst > src)
      uint d = uint(S(O(0u))), s = uint(S(O(1u))), n = uint(S(O(2u)));
      if (!bulk_fuel(n)) return pc_;
      uint64_t size = mem_bytes();
      if (uint64_t(d) + n > size || uint64_t(s) + n > size) { trap_ = 2u; return pc_; }
      uint e = bulk_end(n);
      for (uint i = bulk_; i < e; ++i) {
        uint j = d <= s ? i : n - 1u - i;
        store_part(uint64_t(d + j), mem_byte(uint64_t(s + j)), 1u);
      }
      ticks_ += e - bulk_;
      bulk_ = e < n ? e : 0u;
      return e < n ? pc_ : pc_ + 4u;
    }
    case 0x010bu: {  // memory.fill a:dst b:byte c:len
      uint d = uint(S(O(0u))), v = uint(S(O(1u))) & 0xffu, n = uint(S(O(2u)));
      if (!bulk_fuel(n)) return pc_;
      if (uint64_t(d) + n > mem_bytes()) { trap_ = 2u; return pc_; }
      uint e = bulk_end(n);
      for (uint i = bulk_; i < e; ++i) store_part(uint64_t(d + i), v, 1u);
      ticks_ += e - bulk_;
      bulk_ = e < n ? e : 0u;
      return e < n ? pc_ : pc_ + 4u;
    }
    case 0x020cu: {  // table.init k:table k:elem a:dst b:src c:len
      uint td = tdesc(O(0u));
      uint ed = META(VM_META_ELEM_OFF) + O(1u) * VM_DESC_WORDS;
      uint d = uint(S(O(2u))), s = uint(S(O(3u))), n = uint(S(O(4u)));
      uint size = META(ed + VM_SD_DROPPED) != 0u ? 0u : META(ed + VM_SD_LEN);
      if (uint64_t(s) + n > uint64_t(size) || uint64_t(d) + n > uint64_t(META(td + VM_TD_SIZE))) {
        trap_ = 3u;
        return pc_;
      }
      uint e = bulk_end(n), tb = META(td + VM_TD_BASE), eb = META(ed + VM_SD_BASE);
      for (uint i = bulk_; i < e; ++i) TAB(tb + d + i) = TAB(eb + s + i);
      ticks_ += e - bulk_;
      bulk_ = e < n ? e : 0u;
      return e < n ? pc_ : pc_ + 6u;
    }
    case 0x020du:  // elem.drop k:elem
      META(META(VM_META_ELEM_OFF) + O(0u) * VM_DESC_WORDS + VM_SD_DROPPED) = 1u;
      return pc_ + 2u;
    case 0x020eu: {  // table.copy k:dst k:src a:dst b:src c:len
      uint dt = tdesc(O(0u)), st = tdesc(O(1u));
      uint d = uint(S(O(2u))), s = uint(S(O(3u))), n = uint(S(O(4u)));
      if (uint64_t(d) + n > uint64_t(META(dt + VM_TD_SIZE)) || uint64_t(s) + n > uint64_t(META(st + VM_TD_SIZE))) {
        trap_ = 3u;
        return pc_;
      }
      uint e = bulk_end(n), db = META(dt + VM_TD_BASE), sb = META(st + VM_TD_BASE);
      for (uint i = bulk_; i < e; ++i) {
        uint j = d <= s ? i : n - 1u - i;
        TAB(db + d + j) = TAB(sb + s + j);
      }
      ticks_ += e - bulk_;
      bulk_ = e < n ? e : 0u;
      return e < n ? pc_ : pc_ + 6u;
    }
    case 0x020fu: {  // table.grow d k:table a:init b:delta; new elements filled chunk by chunk
      uint td = tdesc(O(1u));
      uint old = META(td + VM_TD_SIZE), n = uint(S(O(3u)));
      if (uint64_t(old) + n > uint64_t(META(td + VM_TD_CAP))) {
        W(O(0u), 0xffffffffUL);
        return pc_ + 5u;
      }
      uint e = bulk_end(n), tb = META(td + VM_TD_BASE);
      uint64_t init = S(O(2u));
      for (uint i = bulk_; i < e; ++i) TAB(tb + old + i) = init;
      ticks_ += e - bulk_;
      if (e < n) {
        bulk_ = e;
        return pc_;
      }
      bulk_ = 0u;
      META(td + VM_TD_SIZE) = old + n;
      W(O(0u), uint64_t(old));
      return pc_ + 5u;
    }
    case 0x0210u:  // table.size d k:table
      W(O(0u), uint64_t(META(tdesc(O(1u)) + VM_TD_SIZE)));
      return pc_ + 3u;
    case 0x0211u: {  // table.fill k:table a:index b:value c:len
      uint td = tdesc(O(0u));
      uint d = uint(S(O(1u))), n = uint(S(O(3u)));
      if (uint64_t(d) + n > uint64_t(META(td + VM_TD_SIZE))) { trap_ = 3u; return pc_; }
      uint e = bulk_end(n), tb = META(td + VM_TD_BASE);
      uint64_t v = S(O(2u));
      for (uint i = bulk_; i < e; ++i) TAB(tb + d + i) = v;
      ticks_ += e - bulk_;
      bulk_ = e < n ? e : 0u;
      return e < n ? pc_ : pc_ + 5u;
    }
    case 0x0225u: {  // table.get d k:table a:index
      uint td = tdesc(O(1u));
      uint i = uint(S(O(2u)));
      if (i >= META(td + VM_TD_SIZE)) { trap_ = 3u; return pc_; }
      W(O(0u), TAB(META(td + VM_TD_BASE) + i));
      return pc_ + 4u;
    }
    case 0x0226u: {  // table.set k:table a:index b:value
      uint td = tdesc(O(0u));
      uint i = uint(S(O(1u)));
      if (i >= META(td + VM_TD_SIZE)) { trap_ = 3u; return pc_; }
      TAB(META(td + VM_TD_BASE) + i) = S(O(2u));
      return pc_ + 4u;
    }
    default:
      trap_ = VM_TRAP_UNSUPPORTED_OP;
      aux_ = op;
      return pc_;
  }
}
