// Debug ring, producer side. Many lanes produce; the host is the one consumer.
//
// Positions are 32-bit counters that only grow (mod 2^32). ring_head never
// passes ring_consumed + capacity, so a claimed slot is always free to
// write, and a producer that gives up (a drop) has claimed nothing. The
// record's stamp is written last with release order; the host takes a
// record only when stamp == position + 1 and then advances ring_consumed.
//
// Two ways to claim:
// - ring_try_claim: a run of positions, with a CAS on ring_head. With tens
//   of thousands of lanes claiming at once, each round of CASes lets one
//   lane through (a request per process at 32,768 processes made about
//   200,000 records a second on an H100).
// - ring_claim_one: one position, with an atomicAdd that always succeeds
//   (the requests, output, prints and exit records of processes). Its
//   check, made before the add, passes only while ring_reserve positions
//   are free, and every ring_try_claim leaves those free. ring_reserve is
//   the kernel's lane count, and a lane has at most one claim between
//   check and add. So after the last moment a check could pass, at most
//   one add per lane follows, and ring_head stays within capacity.
//   ring_reserve is 0 (and ring_claim_one a CAS claim) for a ring smaller
//   than twice the lanes.
//
// A noted check (ring_note_room): the lane that takes a request's
// completion reads ring_consumed in its poll and ring_head after the
// taker's acquire fence, so in that order, as ring_claim_one would. Its
// process's next request then claims with the atomicAdd alone: the check's
// two loads, and the fence between them, were on the path of every null
// call's round trip (bench/RESULTS.md). The check holds at the moment head
// was read, and the argument above needs nothing more: it counts one claim
// per lane between a passed check and its add, however long that takes.
// So a lane keeps at most one check, noted or made: every claim forgets it.

// The noted check (ring_note_room): this lane saw `used` positions taken.
bool ring_room_noted_ = false;
uint ring_noted_used_ = 0u;

// Notes a check from values read in this order: consumed, then head.
void ring_note_room(uint consumed, uint head) {
  ring_room_noted_ = true;
  ring_noted_used_ = head - consumed;
}

void ring_forget_room() { ring_room_noted_ = false; }

// Claims up to `want` positions. Returns how many (0: the ring is full) and
// the first position in `pos`.
uint ring_try_claim(uint want, out uint pos) {
  ring_forget_room();
  const uint cap = ctrl_boot.ring_capacity - ctrl_boot.ring_reserve;
  uint claimed = 0u;
  uint first = 0u;
  // Single exit, no return inside the loop: llvmpipe (Mesa 22.3) loses
  // writes made before an early return from a loop (docs/platform.md).
  for (uint attempt = 0u; attempt < 8u && claimed == 0u; ++attempt) {
    const uint head = LOAD_RELAXED(ctrl.ring_head);
    const uint used = head - LOAD_ACQUIRE(ctrl.ring_consumed);
    if (used >= cap) break;  // full (or all that is left is the reserve)
    const uint n = min(want, cap - used);
    if (atomicCompSwap(ctrl.ring_head, head, head + n) == head) {
      claimed = n;
      first = head;
    }
  }
  pos = first;
  return claimed;  // 0: full, or heavy contention; the caller retries next iteration
}

// Claims one position; false when the ring is full.
bool ring_claim_one(out uint pos) {
  const uint reserve = ctrl_boot.ring_reserve;
  if (reserve == 0u) return ring_try_claim(1u, pos) != 0u;
  const bool noted = ring_room_noted_ && ring_noted_used_ + reserve < ctrl_boot.ring_capacity;
  ring_forget_room();
  if (noted) {
    pos = atomicAdd(ctrl.ring_head, 1u);
    return true;
  }
  // consumed before head: the check then holds at the moment head was read
  // (a later consumed could pass a check that was already false).
  const uint consumed = LOAD_ACQUIRE(ctrl.ring_consumed);
  const uint used = LOAD_RELAXED(ctrl.ring_head) - consumed;
  pos = 0u;
  if (used + reserve >= ctrl_boot.ring_capacity) return false;
  pos = atomicAdd(ctrl.ring_head, 1u);
  return true;
}

uint ring_slot(uint pos) { return pos & (ctrl_boot.ring_capacity - 1u); }

// Writes payload words 4q .. 4q + 3 of the record in ring slot `s`. The
// ring is in host memory, and a lane's stores there do not coalesce: one
// 16-byte store is one PCIe write where four word stores were four.
// lavapipe keeps word stores: there order comes from every shared word
// being an atomic access (lib/sync.glsl).
void ring_put4(uint s, uint q, uvec4 v) {
#ifdef GPUOS_RELAXED_ATOMICS
  for (uint i = 0u; i < 4u; ++i) WRITE_SHARED(records[s].payload[4u * q + i], v[i]);
#else
  record_quads[8u * s + 1u + q] = v;  // quad 0 is the header: stamp, pid, lane, kind_len
#endif
}

// Publishes a record whose payload the caller already wrote.
void ring_commit(uint pos, uint pid, uint lane, uint kind, uint len) {
  const uint s = ring_slot(pos);
  WRITE_SHARED(records[s].pid, pid);
  WRITE_SHARED(records[s].lane, lane);
  WRITE_SHARED(records[s].kind_len, (kind & 0xFFFFu) | (len << 16));
  // The fence puts the record before the stamp; a release store after it
  // would cost a second fence (an H100 commit took 1.5 us with it, 0.9 us
  // without: the profiling kernel, 2026-11-22).
  RELEASE_FENCE();
  STORE_RELAXED(records[s].stamp, pos + 1u);
}

void ring_put_pad(uint pos, uint lane) { ring_commit(pos, 0u, lane, RECORD_PAD, 0u); }
