#include "kernel/mailbox.h"

#include "kernel/host_sync.h"

namespace gpuos {

MailboxClient::MailboxClient(abi::ControlBlock* ctrl, abi::HostBlock* host)
    : ctrl_(ctrl), host_(host), seq_(host_load_acquire(ctrl->cmd.seq)) {}

uint32_t MailboxClient::post(uint32_t op, uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3) {
  ctrl_->cmd.op = op;
  ctrl_->cmd.arg0 = a0;
  ctrl_->cmd.arg1 = a1;
  ctrl_->cmd.arg2 = a2;
  ctrl_->cmd.arg3 = a3;
  // seq 0 means "no command"; skip it when the counter wraps.
  if (++seq_ == 0) seq_ = 1;
  host_publish(ctrl_->cmd.seq, seq_);  // args reach memory before seq
  return seq_;
}

std::optional<MailboxReply> MailboxClient::poll(uint32_t seq) const {
  // Field by field, seq first with acquire. (One 16-byte load of
  // {seq, status, value0, value1} is not one transaction: from the BAR on an
  // H100, and on lavapipe, it showed a new seq beside older values.)
  if (host_load_acquire(host_->reply.seq) != seq) return std::nullopt;
  MailboxReply r;
  r.seq = seq;
  r.status = host_->reply.status;
  r.value[0] = host_->reply.value0;
  r.value[1] = host_->reply.value1;
  r.value[2] = host_->reply.value2;
  r.value[3] = host_->reply.value3;
  return r;
}

bool MailboxClient::outstanding() const { return host_load_acquire(host_->reply.seq) != seq_; }

const char* mailbox_status_name(uint32_t status) {
  switch (status) {
    case abi::STATUS_OK: return "ok";
    case abi::STATUS_BAD_OPCODE: return "bad opcode";
    case abi::STATUS_BAD_ARGUMENT: return "bad argument";
    default: return "unknown status";
  }
}

}  // namespace gpuos
