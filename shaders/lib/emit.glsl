// OP_EMIT: produce N debug records, spread over every lane that is running.
//
// A job is a range [begin, end) of a global cursor that only grows. Lanes
// claim ring space first and then job positions (so nothing taken from the
// job can be stranded by a full ring), write the records, and count them in
// `done`; the lane whose count completes the job sends the mailbox reply.
const uint EMIT_CHUNK = 4u;  // records a lane claims at a time

// `first` numbers the job's records from there (Session::emit splits a large
// emit into jobs, so that other commands are served in between).
void emit_open_job(uint seq, uint count, uint kind, uint flags, uint first) {
  const uint begin = READ_SHARED(ctrl.emit.end);  // the previous job left cursor == done == end
  if (count == 0u) {
    mailbox_reply(seq, STATUS_OK, 0u, 0u, 0u, 0u);
    return;
  }
  WRITE_SHARED(ctrl.emit.begin, begin);
  WRITE_SHARED(ctrl.emit.kind, kind);
  WRITE_SHARED(ctrl.emit.flags, flags);
  WRITE_SHARED(ctrl.emit_first, first);
  WRITE_SHARED(ctrl.emit.seq, seq);
  STORE_RELAXED(ctrl.emit.drops, 0u);
  RELEASE_FENCE();
  STORE_RELEASE(ctrl.emit.end, begin + count);  // opens the job; fields above first
}

bool emit_open() {
  return int(LOAD_RELAXED(ctrl.emit.end) - LOAD_RELAXED(ctrl.emit.cursor)) > 0;
}

// Claims up to `want` job positions; returns how many, the first in `first`.
uint emit_claim(uint end, uint want, out uint first) {
  uint claimed = 0u;
  uint at = 0u;
  for (uint attempt = 0u; attempt < 8u && claimed == 0u; ++attempt) {
    const uint c = LOAD_RELAXED(ctrl.emit.cursor);
    const int left = int(end - c);  // signed: `end` may be a finished job's
    if (left <= 0) break;
    const uint n = min(want, uint(left));
    if (atomicCompSwap(ctrl.emit.cursor, c, c + n) == c) {
      claimed = n;
      at = c;
    }
  }
  first = at;
  return claimed;
}

void emit_finish(uint end, uint n) {
  RELEASE_FENCE();  // this lane's records (and drop counts) before its share of `done`
  const uint before = ADD_ACQ_REL(ctrl.emit.done, n);
  if (before + n == end) {
    ACQUIRE_FENCE();
    const uint drops = LOAD_RELAXED(ctrl.emit.drops);
    mailbox_reply(READ_SHARED(ctrl.emit.seq), STATUS_OK, end - READ_SHARED(ctrl.emit.begin), drops, 0u, 0u);
  }
}

// Word `w` (0..3) of the text "emit <index>", packed little-endian.
uint emit_text_word(uint index, uint w) {
  uint digits[10];
  uint nd = 0u;
  uint v = index;
  do {
    digits[nd++] = 48u + v % 10u;
    v /= 10u;
  } while (v != 0u);
  uint word = 0u;
  for (uint b = 0u; b < 4u; ++b) {
    const uint i = w * 4u + b;  // byte position in "emit " + digits
    uint c = 0u;
    if (i < 5u) c = (i == 0u) ? 101u : (i == 1u) ? 109u : (i == 2u) ? 105u : (i == 3u) ? 116u : 32u;
    else if (i < 5u + nd) c = digits[nd - 1u - (i - 5u)];
    word |= c << (8u * b);
  }
  return word;
}

uint emit_text_len(uint index) {
  uint nd = 1u;
  for (uint v = index / 10u; v != 0u; v /= 10u) ++nd;
  return 5u + nd;
}

// Payload word j of record `index` of a job of `kind`.
uint emit_payload_word(uint kind, uint index, uint j) {
  if (kind == RECORD_TEXT) return j < 4u ? emit_text_word(index, j) : 0u;
  return index * 0x9E3779B1u + j;
}

uint emit_payload_len(uint kind, uint index) {
  return kind == RECORD_TEXT ? emit_text_len(index) : RING_PAYLOAD_WORDS * 4u;
}

// "emit <index>" as a text record.
void emit_write_text(uint pos, uint index) {
  const uint s = ring_slot(pos);
  for (uint w = 0u; w < 4u; ++w) WRITE_SHARED(records[s].payload[w], emit_text_word(index, w));
  ring_commit(pos, 0u, gl_GlobalInvocationID.x, RECORD_TEXT, emit_text_len(index));
}

void emit_write_pattern(uint pos, uint index) {
  const uint s = ring_slot(pos);
  for (uint j = 0u; j < RING_PAYLOAD_WORDS; ++j) {
    WRITE_SHARED(records[s].payload[j], emit_payload_word(RECORD_PATTERN, index, j));
  }
  ring_commit(pos, 0u, gl_GlobalInvocationID.x, RECORD_PATTERN, RING_PAYLOAD_WORDS * 4u);
}

// Returns true when this lane made progress on the job. `full_streak`
// counts this lane's consecutive attempts that found the ring full; with
// EMIT_MAY_DROP a lane drops a chunk (and counts it) once the streak reaches
// ring_wait_spins, so a producer waits a bounded time and never loses a
// record silently. Without it, the lane simply retries next iteration.
bool emit_help(uint lane, inout uint full_streak) {
  uint end;
  uint cursor;
  // Polled relaxed (independent loads overlap); the fence below gives acquire
  // order once a job is seen: kind, flags and begin were published before end.
  SUBGROUP_LOAD(end, LOAD_RELAXED(ctrl.emit.end));
  SUBGROUP_LOAD(cursor, LOAD_RELAXED(ctrl.emit.cursor));
  if (int(end - cursor) <= 0) return false;
  ACQUIRE_FENCE();
  // Record index = position - begin: shifted so the job counts from emit_first.
  const uint begin = READ_SHARED(ctrl.emit.begin) - READ_SHARED(ctrl.emit_first);
  const uint kind = READ_SHARED(ctrl.emit.kind);
  const uint flags = READ_SHARED(ctrl.emit.flags);

  uint pos;
  const uint got = ring_try_claim(EMIT_CHUNK, pos);
  uint first;
  if (got == 0u) {
    ++full_streak;
    if ((flags & EMIT_MAY_DROP) == 0u || full_streak < ctrl.ring_wait_spins) return false;
    full_streak = 0u;
    const uint n = emit_claim(end, EMIT_CHUNK, first);
    if (n == 0u) return false;
    atomicAdd(ctrl.emit.drops, n);
    atomicAdd(ctrl.ring_drops, n);
    emit_finish(end, n);
    return true;
  }
  full_streak = 0u;
  const uint n = emit_claim(end, got, first);
  for (uint i = 0u; i < got; ++i) {
    if (i < n) {
      if (kind == RECORD_TEXT) emit_write_text(pos + i, first + i - begin);
      else emit_write_pattern(pos + i, first + i - begin);
    } else {
      ring_put_pad(pos + i, lane);
    }
  }
  if (n > 0u) emit_finish(end, n);
  return n > 0u;
}
