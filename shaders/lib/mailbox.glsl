// Mailbox, kernel side. The host posts one command at a time (seq, op, args);
// any lane may take it, by a CAS on cmd_claimed, so no particular lane or
// workgroup has to be scheduled for commands to be served.

void mailbox_reply(uint seq, uint status, uint v0, uint v1, uint v2, uint v3) {
  WRITE_SHARED(host.reply.status, status);
  WRITE_SHARED(host.reply.value0, v0);
  WRITE_SHARED(host.reply.value1, v1);
  WRITE_SHARED(host.reply.value2, v2);
  WRITE_SHARED(host.reply.value3, v3);
  RELEASE_FENCE();
  STORE_RELEASE(host.reply.seq, seq);  // values above become visible first
}

void emit_open_job(uint seq, uint count, uint kind, uint flags, uint first);  // emit.glsl
void proc_mailbox(uint seq, uint op, uint a0, uint a1, uint a2, uint a3);  // proc/jobs.glsl

// Returns true when this lane took a command.
bool mailbox_poll(uint lane) {
  // Polled relaxed; the fence after a successful claim gives acquire order.
  const uint seq = LOAD_RELAXED(ctrl.cmd.seq);
  const uint claimed = LOAD_RELAXED(ctrl.cmd_claimed);
  // Only a newer seq may be claimed. `seq` is read before `claimed`, so a
  // slow lane can hold seq N-1 while another lane has already claimed N;
  // an inequality test would then CAS cmd_claimed back to N-1 and the
  // command would be served twice (seen on an H100: a stale reply about
  // once in 10^4 pings). Signed distance: seqs grow mod 2^32.
  if (int(seq - claimed) <= 0) return false;
  if (ctrl.mode == MODE_PROBE && (ctrl.faults & FAULT_DEAF_PROBE) != 0u) return false;
  if (atomicCompSwap(ctrl.cmd_claimed, claimed, seq) != claimed) return false;
  ACQUIRE_FENCE();  // op and args were written before seq

  const uint op = READ_SHARED(ctrl.cmd.op);
  const uint a0 = READ_SHARED(ctrl.cmd.arg0);
  const uint a1 = READ_SHARED(ctrl.cmd.arg1);
  const uint a2 = READ_SHARED(ctrl.cmd.arg2);
  const uint a3 = READ_SHARED(ctrl.cmd.arg3);
  if (op == OP_NOP) {
    mailbox_reply(seq, STATUS_OK, 0u, 0u, 0u, 0u);
  } else if (op == OP_PING) {
    mailbox_reply(seq, STATUS_OK, a0, LOAD_RELAXED(ctrl.lanes_running), lane, ctrl.launch);
  } else if (op == OP_EMIT) {
    if (a1 != RECORD_TEXT && a1 != RECORD_PATTERN) {
      mailbox_reply(seq, STATUS_BAD_ARGUMENT, 0u, 0u, 0u, 0u);
    } else {
      emit_open_job(seq, a0, a1, a2, a3);  // answers when the job ends
    }
  } else if (op == OP_SPAWN || op == OP_KILL || op == OP_SNAPSHOT) {
    proc_mailbox(seq, op, a0, a1, a2, a3);  // OP_SPAWN and OP_SNAPSHOT answer when their job ends
  } else if (op == OP_SHUTDOWN) {
    mailbox_reply(seq, STATUS_OK, 0u, 0u, 0u, 0u);
    STORE_RELEASE(ctrl.stop, STOP_SHUTDOWN);
  } else if (op == OP_FAULT_HANG) {
    mailbox_reply(seq, STATUS_OK, 0u, 0u, 0u, 0u);
    STORE_RELEASE(ctrl.hung, 1u);
  } else {
    mailbox_reply(seq, STATUS_BAD_OPCODE, op, 0u, 0u, 0u);
  }
  return true;
}
