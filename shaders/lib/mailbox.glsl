// Mailbox, kernel side. The host posts one command at a time (seq, op, args);
// any lane may take it, by a CAS on cmd_claimed, so no particular lane or
// workgroup has to be scheduled for commands to be served.

void mailbox_reply(uint seq, uint status, uint v0, uint v1, uint v2, uint v3) {
  ctrl.reply.status = status;
  ctrl.reply.value0 = v0;
  ctrl.reply.value1 = v1;
  ctrl.reply.value2 = v2;
  ctrl.reply.value3 = v3;
  STORE_RELEASE(ctrl.reply.seq, seq);  // values above become visible first
}

void emit_open_job(uint seq, uint count, uint kind, uint flags);  // emit.glsl

// Returns true when this lane took a command.
bool mailbox_poll(uint lane) {
  const uint seq = LOAD_ACQUIRE(ctrl.cmd.seq);
  const uint claimed = LOAD_RELAXED(ctrl.cmd_claimed);
  if (seq == claimed) return false;
  if (ctrl.mode == MODE_PROBE && (ctrl.faults & FAULT_DEAF_PROBE) != 0u) return false;
  if (atomicCompSwap(ctrl.cmd_claimed, claimed, seq) != claimed) return false;

  const uint op = ctrl.cmd.op;
  const uint a0 = ctrl.cmd.arg0;
  const uint a1 = ctrl.cmd.arg1;
  const uint a2 = ctrl.cmd.arg2;
  if (op == OP_NOP) {
    mailbox_reply(seq, STATUS_OK, 0u, 0u, 0u, 0u);
  } else if (op == OP_PING) {
    mailbox_reply(seq, STATUS_OK, a0, LOAD_RELAXED(ctrl.lanes_running), lane, ctrl.launch);
  } else if (op == OP_EMIT) {
    if (a1 != RECORD_TEXT && a1 != RECORD_PATTERN) {
      mailbox_reply(seq, STATUS_BAD_ARGUMENT, 0u, 0u, 0u, 0u);
    } else {
      emit_open_job(seq, a0, a1, a2);  // answers when the job ends
    }
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
