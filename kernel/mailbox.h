// Mailbox, host side: one command at a time from host to kernel, one reply
// back (the kernel side is shaders/lib/mailbox.glsl; docs/mailbox.md has the
// protocol). The client only writes the command and reads the reply; the
// Session decides how long to wait and relaunches the kernel if needed.
#pragma once

#include <cstdint>
#include <optional>

#include "shaders/abi.h"

namespace gpuos {

struct MailboxReply {
  uint32_t seq = 0;
  uint32_t status = 0;  // abi::STATUS_*
  uint32_t value[4] = {};
};

class MailboxClient {
 public:
  // Commands go to `ctrl` (device-local in live mode); replies come back in
  // `host` (host memory, cheap to poll).
  MailboxClient(abi::ControlBlock* ctrl, abi::HostBlock* host);

  // Writes op and args, then publishes the next seq. Returns that seq.
  // The caller serialises posts: one command is outstanding at a time.
  uint32_t post(uint32_t op, uint32_t a0 = 0, uint32_t a1 = 0, uint32_t a2 = 0, uint32_t a3 = 0);
  // The reply to `seq`, if the kernel has sent it.
  std::optional<MailboxReply> poll(uint32_t seq) const;
  // True while the newest posted command has no reply.
  bool outstanding() const;
  uint32_t last_seq() const { return seq_; }

 private:
  abi::ControlBlock* ctrl_;
  abi::HostBlock* host_;
  uint32_t seq_;
};

const char* mailbox_status_name(uint32_t status);

}  // namespace gpuos
