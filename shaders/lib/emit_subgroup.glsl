// OP_EMIT on GPUs: a subgroup produces records together (emit.glsl has the
// per-lane version that lavapipe runs, and the job protocol).
//
// Per lane, every record cost two contended CASes (ring head, job cursor)
// and 28 scattered 4-byte stores; with 33,792 lanes on an H100 the drain ran
// at 56 MB/s. Here the elected lane claims ring space and job positions for
// the whole subgroup at once, and the lanes then write each record
// together, one word per lane, so a record is one coalesced 128-byte store.
// Stamps follow after a fence and a subgroup barrier, so a record's body is
// visible before its stamp.

// Writes word w (1..31) of a record; word 0, the stamp, is published last.
void emit_record_word(uint s, uint w, uint value) {
  if (w == 1u) WRITE_SHARED(records[s].pid, value);
  else if (w == 2u) WRITE_SHARED(records[s].lane, value);
  else if (w == 3u) WRITE_SHARED(records[s].kind_len, value);
  else WRITE_SHARED(records[s].payload[w - 4u], value);
}

bool emit_help_subgroup(uint lane, inout uint full_streak) {
  uint end;
  uint cursor;
  SUBGROUP_LOAD(end, LOAD_RELAXED(ctrl.emit.end));
  SUBGROUP_LOAD(cursor, LOAD_RELAXED(ctrl.emit.cursor));
  if (int(end - cursor) <= 0) return false;
  ACQUIRE_FENCE();  // kind, flags and begin were published before end
  const uint begin = READ_SHARED(ctrl.emit.begin) - READ_SHARED(ctrl.emit_first);  // index = pos - begin
  const uint kind = READ_SHARED(ctrl.emit.kind);
  const uint flags = READ_SHARED(ctrl.emit.flags);

  const uvec4 members = subgroupBallot(true);
  const uint lanes = subgroupBallotBitCount(members);
  const uint rank = subgroupBallotExclusiveBitCount(members);
  uint pos = 0u;
  uint got = 0u;
  uint first = 0u;
  uint n = 0u;
  if (subgroupElect()) {
    // No more ring space than the records left (a small job would
    // otherwise leave a subgroup's worth of PAD records in the ring).
    got = ring_try_claim(min(EMIT_CHUNK * lanes, uint(end - cursor)), pos);
    if (got > 0u) n = emit_claim(end, got, first);
  }
  // The elected lane is the lowest active one, whose values these are.
  got = subgroupBroadcastFirst(got);
  pos = subgroupBroadcastFirst(pos);
  first = subgroupBroadcastFirst(first);
  n = subgroupBroadcastFirst(n);
  const uint producer = subgroupBroadcastFirst(lane);

  if (got == 0u) {  // ring full
    ++full_streak;
    if ((flags & EMIT_MAY_DROP) == 0u || full_streak < ctrl.ring_wait_spins) return false;
    full_streak = 0u;
    uint dropped = 0u;
    if (subgroupElect()) {
      dropped = emit_claim(end, EMIT_CHUNK * lanes, first);
      if (dropped > 0u) {
        atomicAdd(ctrl.emit.drops, dropped);
        atomicAdd(ctrl.ring_drops, dropped);
        emit_finish(end, dropped);
      }
    }
    return subgroupBroadcastFirst(dropped) > 0u;
  }
  full_streak = 0u;

  for (uint r = 0u; r < got; ++r) {
    const uint s = ring_slot(pos + r);
    const bool real = r < n;
    const uint index = first + r - begin;
    for (uint w = rank + 1u; w < 32u; w += lanes) {
      uint value = 0u;
      if (w == 2u) value = producer;
      else if (w == 3u) value = real ? (kind | (emit_payload_len(kind, index) << 16)) : RECORD_PAD;
      else if (w >= 4u && real) value = emit_payload_word(kind, index, w - 4u);
      emit_record_word(s, w, value);
    }
  }
  RELEASE_FENCE();
  subgroupBarrier();  // every lane's body stores come before any stamp
  for (uint r = rank; r < got; r += lanes) STORE_RELEASE(records[ring_slot(pos + r)].stamp, pos + r + 1u);
  RELEASE_FENCE();
  subgroupBarrier();  // and every stamp before the job counts them done
  if (n > 0u && subgroupElect()) emit_finish(end, n);
  return n > 0u;
}
