// Debug ring, producer side. Many lanes produce; the host is the one consumer.
//
// Positions are 32-bit counters that only grow (mod 2^32). A producer claims
// a run of positions with a CAS that never lets ring_head pass
// ring_consumed + capacity, so a claimed slot is always free to write and a
// producer that gives up (a drop) has claimed nothing. The record's stamp is
// written last with release order; the host takes a record only when
// stamp == position + 1 and then advances ring_consumed.

// Claims up to `want` positions. Returns how many (0: the ring is full) and
// the first position in `pos`.
uint ring_try_claim(uint want, out uint pos) {
  const uint cap = ctrl.ring_capacity;
  uint claimed = 0u;
  uint first = 0u;
  // Single exit, no return inside the loop: llvmpipe (Mesa 22.3) loses
  // writes made before an early return from a loop (docs/platform.md).
  for (uint attempt = 0u; attempt < 8u && claimed == 0u; ++attempt) {
    const uint head = LOAD_RELAXED(ctrl.ring_head);
    const uint used = head - LOAD_ACQUIRE(ctrl.ring_consumed);
    if (used >= cap) break;  // full
    const uint n = min(want, cap - used);
    if (atomicCompSwap(ctrl.ring_head, head, head + n) == head) {
      claimed = n;
      first = head;
    }
  }
  pos = first;
  return claimed;  // 0: full, or heavy contention; the caller retries next iteration
}

uint ring_slot(uint pos) { return pos & (ctrl.ring_capacity - 1u); }

// Publishes a record whose payload the caller already wrote.
void ring_commit(uint pos, uint pid, uint lane, uint kind, uint len) {
  const uint s = ring_slot(pos);
  WRITE_SHARED(records[s].pid, pid);
  WRITE_SHARED(records[s].lane, lane);
  WRITE_SHARED(records[s].kind_len, (kind & 0xFFFFu) | (len << 16));
  RELEASE_FENCE();
  STORE_RELEASE(records[s].stamp, pos + 1u);
}


void ring_put_pad(uint pos, uint lane) { ring_commit(pos, 0u, lane, RECORD_PAD, 0u); }
