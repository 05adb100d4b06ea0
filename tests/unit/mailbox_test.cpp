// Mailbox protocol: the real MailboxClient against fake kernel lanes (threads)
// that implement shaders/lib/mailbox.glsl's mailbox_poll exactly: acquire-load
// cmd.seq, load cmd_claimed, claim only a newer seq (CAS cmd_claimed to it),
// read the command, write the reply values, release-store reply.seq.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "kernel/mailbox.h"
#include "tests/unit/host_ring.h"

namespace gpuos {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using testing::cas;
using testing::load_acquire;
using testing::load_relaxed;
using testing::store_release;

// The control block plus the host block where replies land; `reply` names
// the host block's reply so the tests read like the protocol.
struct Blocks : abi::ControlBlock {
  abi::HostBlock host{};
  abi::MailboxReply& reply = host.reply;
};

std::unique_ptr<Blocks> zeroed_block() {
  auto c = std::make_unique<Blocks>();
  std::memset(static_cast<abi::ControlBlock*>(c.get()), 0, sizeof(abi::ControlBlock));
  c->magic = abi::ABI_MAGIC;
  c->abi_version = abi::ABI_VERSION;
  return c;
}

// mailbox.glsl: mailbox_reply.
void kernel_reply(Blocks& c, uint32_t seq, uint32_t status, uint32_t v0, uint32_t v1 = 0,
                  uint32_t v2 = 0, uint32_t v3 = 0) {
  c.reply.status = status;
  c.reply.value0 = v0;
  c.reply.value1 = v1;
  c.reply.value2 = v2;
  c.reply.value3 = v3;
  store_release(c.reply.seq, seq);
}

class FakeKernel {
 public:
  FakeKernel(Blocks& c, uint32_t lanes) : c_(c) {
    for (uint32_t lane = 0; lane < lanes; ++lane) {
      threads_.emplace_back([this, lane] {
        while (!stop_.load(std::memory_order_relaxed)) {
          if (!poll(lane)) std::this_thread::yield();
        }
      });
    }
  }
  ~FakeKernel() { stop(); }
  void stop() {
    stop_ = true;
    for (auto& t : threads_)
      if (t.joinable()) t.join();
  }
  // seqs answered, in the order they were claimed (one entry per claim).
  std::vector<uint32_t> answered() {
    std::lock_guard lock(mu_);
    return answered_;
  }

  // mailbox.glsl: mailbox_poll, split where a slow lane can be overtaken:
  // load_seq() is its first load, and finish() everything after it.
  uint32_t load_seq() { return load_acquire(c_.cmd.seq); }
  bool finish(uint32_t seq, uint32_t lane) {
    const uint32_t claimed = load_relaxed(c_.cmd_claimed);
    // Only a newer seq may be claimed (signed distance: seqs grow mod 2^32).
    if (static_cast<int32_t>(seq - claimed) <= 0) return false;
    if (cas(c_.cmd_claimed, claimed, seq) != claimed) return false;
    const uint32_t op = c_.cmd.op, a0 = c_.cmd.arg0, a1 = c_.cmd.arg1, a2 = c_.cmd.arg2, a3 = c_.cmd.arg3;
    {
      std::lock_guard lock(mu_);
      answered_.push_back(seq);
      ops_.push_back(op);
    }
    if (op == abi::OP_NOP) {
      kernel_reply(c_, seq, abi::STATUS_OK, 0);
    } else if (op == abi::OP_PING) {
      kernel_reply(c_, seq, abi::STATUS_OK, a0, a1 ^ a2 ^ a3, lane, 1);
    } else {
      kernel_reply(c_, seq, abi::STATUS_BAD_OPCODE, op);
    }
    return true;
  }
  bool poll(uint32_t lane) { return finish(load_seq(), lane); }
  std::vector<uint32_t> ops() {
    std::lock_guard lock(mu_);
    return ops_;
  }

 private:
  Blocks& c_;
  std::atomic<bool> stop_{false};
  std::vector<std::thread> threads_;
  std::mutex mu_;
  std::vector<uint32_t> answered_;
  std::vector<uint32_t> ops_;
};

// A lane that loaded cmd.seq, was then overtaken (the host posted the next
// command and another lane claimed it), and only then loaded cmd_claimed,
// must not claim anything: a CAS back to its stale seq would let the newer
// command be served twice (the bug seen on an H100, fixed in mailbox.glsl by
// the signed "only a newer seq" test).
TEST(Mailbox, OvertakenLaneDoesNotServeACommandTwice) {
  auto c = zeroed_block();
  MailboxClient m(c.get(), &c->host);
  FakeKernel k(*c, 0);  // no threads: lanes are stepped by hand
  const uint32_t s1 = m.post(abi::OP_PING, 1);
  const uint32_t stale = k.load_seq();  // slow lane: first load only
  ASSERT_EQ(stale, s1);
  ASSERT_TRUE(k.finish(k.load_seq(), 1));  // a fast lane serves s1
  ASSERT_TRUE(m.poll(s1).has_value());
  const uint32_t s2 = m.post(abi::OP_EMIT, 5, abi::RECORD_TEXT);
  ASSERT_TRUE(k.finish(k.load_seq(), 1));  // ...and s2
  ASSERT_TRUE(m.poll(s2).has_value());
  EXPECT_FALSE(k.finish(stale, 0)) << "a lane holding an older seq claimed a command";
  EXPECT_EQ(c->cmd_claimed, s2) << "cmd_claimed moved backwards";
  EXPECT_FALSE(k.finish(k.load_seq(), 1)) << "the newest command was served again";
  EXPECT_EQ(k.answered(), (std::vector<uint32_t>{s1, s2}));
  EXPECT_EQ(k.ops(), (std::vector<uint32_t>{abi::OP_PING, abi::OP_EMIT}));
}

// Same across the wrap: seq 1 (after 0xFFFFFFFF) is newer, 0xFFFFFFFF is older.
TEST(Mailbox, OvertakenLaneAcrossSeqWrap) {
  auto c = zeroed_block();
  c->cmd.seq = c->cmd_claimed = c->reply.seq = 0xFFFFFFFEu;
  MailboxClient m(c.get(), &c->host);
  FakeKernel k(*c, 0);
  const uint32_t s1 = m.post(abi::OP_PING, 1);  // 0xFFFFFFFF
  const uint32_t stale = k.load_seq();
  ASSERT_TRUE(k.finish(k.load_seq(), 1));
  const uint32_t s2 = m.post(abi::OP_PING, 2);  // 1
  ASSERT_EQ(s2, 1u);
  ASSERT_TRUE(k.finish(k.load_seq(), 1)) << "seq 1 after 0xFFFFFFFF must count as newer";
  EXPECT_FALSE(k.finish(stale, 0));
  EXPECT_EQ(c->cmd_claimed, s2);
  EXPECT_EQ(k.answered(), (std::vector<uint32_t>{s1, s2}));
}

// Polls until the reply comes; the timeout is a safety bound only.
std::optional<MailboxReply> wait_reply(const MailboxClient& m, uint32_t seq, std::chrono::milliseconds limit = 10s) {
  const auto deadline = Clock::now() + limit;
  while (Clock::now() < deadline) {
    if (auto r = m.poll(seq)) return r;
    std::this_thread::yield();
  }
  return std::nullopt;
}

TEST(Mailbox, RoundTrip) {
  auto c = zeroed_block();
  MailboxClient m(c.get(), &c->host);
  FakeKernel k(*c, 1);
  const uint32_t seq = m.post(abi::OP_PING, 0xC0FFEE, 1, 2, 4);
  EXPECT_EQ(seq, 1u);
  auto r = wait_reply(m, seq);
  ASSERT_TRUE(r.has_value()) << "no reply";
  EXPECT_EQ(r->seq, seq);
  EXPECT_EQ(r->status, abi::STATUS_OK);
  EXPECT_EQ(r->value[0], 0xC0FFEEu);
  EXPECT_EQ(r->value[1], 1u ^ 2u ^ 4u) << "all four args must reach the kernel";
  EXPECT_EQ(r->value[3], 1u);
  EXPECT_FALSE(m.outstanding());
}

TEST(Mailbox, PostWritesCommandThenSeq) {
  auto c = zeroed_block();
  MailboxClient m(c.get(), &c->host);
  const uint32_t seq = m.post(abi::OP_EMIT, 10, 20, 30, 40);
  EXPECT_EQ(c->cmd.seq, seq);
  EXPECT_EQ(c->cmd.op, abi::OP_EMIT);
  EXPECT_EQ(c->cmd.arg0, 10u);
  EXPECT_EQ(c->cmd.arg1, 20u);
  EXPECT_EQ(c->cmd.arg2, 30u);
  EXPECT_EQ(c->cmd.arg3, 40u);
  EXPECT_EQ(c->cmd_claimed, 0u) << "the host never writes the kernel's claim counter";
  EXPECT_EQ(c->reply.seq, 0u) << "the host never writes the reply";
}

TEST(Mailbox, SequenceIncrementsByOne) {
  auto c = zeroed_block();
  MailboxClient m(c.get(), &c->host);
  FakeKernel k(*c, 2);
  for (uint32_t i = 1; i <= 50; ++i) {
    const uint32_t seq = m.post(abi::OP_NOP);
    EXPECT_EQ(seq, i);
    EXPECT_EQ(m.last_seq(), i);
    ASSERT_TRUE(wait_reply(m, seq).has_value()) << "no reply to " << seq;
  }
}

TEST(Mailbox, OutstandingBeforeAndAfterReply) {
  auto c = zeroed_block();
  MailboxClient m(c.get(), &c->host);
  EXPECT_FALSE(m.outstanding()) << "nothing posted yet";
  const uint32_t seq = m.post(abi::OP_PING, 5);
  EXPECT_TRUE(m.outstanding());
  EXPECT_FALSE(m.poll(seq).has_value());
  kernel_reply(*c, seq, abi::STATUS_OK, 5);
  EXPECT_FALSE(m.outstanding());
  auto r = m.poll(seq);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->value[0], 5u);
}

TEST(Mailbox, StaleReplyIsNotTakenAsTheAnswer) {
  auto c = zeroed_block();
  MailboxClient m(c.get(), &c->host);
  const uint32_t s1 = m.post(abi::OP_PING, 111);
  kernel_reply(*c, s1, abi::STATUS_OK, 111);
  ASSERT_TRUE(m.poll(s1).has_value());

  const uint32_t s2 = m.post(abi::OP_PING, 222);
  ASSERT_NE(s1, s2);
  // The kernel has not answered s2: reply.seq still names s1, even if other
  // reply fields are in flux.
  c->reply.value0 = 999;
  EXPECT_FALSE(m.poll(s2).has_value()) << "a reply to an older command was taken as the answer";
  EXPECT_TRUE(m.outstanding());
  // A reply for a different, newer seq is not s2's answer either.
  kernel_reply(*c, s2 + 5, abi::STATUS_OK, 555);
  EXPECT_FALSE(m.poll(s2).has_value());

  kernel_reply(*c, s2, abi::STATUS_OK, 222);
  auto r = m.poll(s2);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->value[0], 222u);
  // The old seq no longer polls as answered: reply.seq names only the newest.
  EXPECT_FALSE(m.poll(s1).has_value());
}

TEST(Mailbox, NoReplyPollStaysEmpty) {
  auto c = zeroed_block();
  MailboxClient m(c.get(), &c->host);
  const uint32_t seq = m.post(abi::OP_PING, 1);
  const auto until = Clock::now() + 20ms;
  int polls = 0;
  while (Clock::now() < until) {
    ASSERT_FALSE(m.poll(seq).has_value());
    ++polls;
  }
  EXPECT_GT(polls, 0);
  EXPECT_TRUE(m.outstanding());
  EXPECT_EQ(c->reply.seq, 0u);
}

TEST(Mailbox, StatusCodesPassThrough) {
  auto c = zeroed_block();
  MailboxClient m(c.get(), &c->host);
  FakeKernel k(*c, 1);
  const uint32_t seq = m.post(0x00FE);
  auto r = wait_reply(m, seq);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, abi::STATUS_BAD_OPCODE);
  EXPECT_EQ(r->value[0], 0x00FEu);
  EXPECT_STREQ(mailbox_status_name(abi::STATUS_OK), "ok");
  EXPECT_STREQ(mailbox_status_name(abi::STATUS_BAD_OPCODE), "bad opcode");
  EXPECT_STREQ(mailbox_status_name(abi::STATUS_BAD_ARGUMENT), "bad argument");
  EXPECT_STREQ(mailbox_status_name(12345), "unknown status");
}

TEST(Mailbox, ClientResumesFromExistingSeq) {
  auto c = zeroed_block();
  c->cmd.seq = 41;
  c->cmd_claimed = 41;
  c->reply.seq = 41;
  MailboxClient m(c.get(), &c->host);
  EXPECT_EQ(m.last_seq(), 41u);
  EXPECT_FALSE(m.outstanding());
  FakeKernel k(*c, 1);
  const uint32_t seq = m.post(abi::OP_PING, 7);
  EXPECT_EQ(seq, 42u);
  auto r = wait_reply(m, seq);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->value[0], 7u);
}

TEST(Mailbox, SeqWrapSkipsZero) {
  auto c = zeroed_block();
  c->cmd.seq = 0xFFFFFFFEu;
  c->cmd_claimed = 0xFFFFFFFEu;
  c->reply.seq = 0xFFFFFFFEu;
  MailboxClient m(c.get(), &c->host);
  FakeKernel k(*c, 2);
  const uint32_t s1 = m.post(abi::OP_PING, 1);
  EXPECT_EQ(s1, 0xFFFFFFFFu);
  ASSERT_TRUE(wait_reply(m, s1).has_value());
  const uint32_t s2 = m.post(abi::OP_PING, 2);
  EXPECT_EQ(s2, 1u) << "seq 0 means 'no command' and must be skipped on wrap";
  EXPECT_EQ(c->cmd.seq, 1u);
  auto r = wait_reply(m, s2);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->value[0], 2u);
  const uint32_t s3 = m.post(abi::OP_PING, 3);
  EXPECT_EQ(s3, 2u);
  ASSERT_TRUE(wait_reply(m, s3).has_value());
  k.stop();
  const auto a = k.answered();
  EXPECT_EQ(a, (std::vector<uint32_t>{0xFFFFFFFFu, 1u, 2u}));
}

TEST(Mailbox, SeqWrapFromAllOnesPreset) {
  auto c = zeroed_block();
  c->cmd.seq = 0xFFFFFFFFu;
  c->cmd_claimed = 0xFFFFFFFFu;
  c->reply.seq = 0xFFFFFFFFu;
  MailboxClient m(c.get(), &c->host);
  EXPECT_FALSE(m.outstanding());
  FakeKernel k(*c, 1);
  const uint32_t seq = m.post(abi::OP_PING, 77);
  EXPECT_EQ(seq, 1u);
  auto r = wait_reply(m, seq);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->value[0], 77u);
}

// Several lanes race for every command: each is claimed by exactly one lane,
// and every reply carries its own command's arguments.
TEST(Mailbox, ManyLanesAnswerEachCommandExactlyOnce) {
  auto c = zeroed_block();
  MailboxClient m(c.get(), &c->host);
  FakeKernel k(*c, 4);
  constexpr uint32_t n = 2000;
  for (uint32_t i = 0; i < n; ++i) {
    const uint32_t token = i * 2654435761u;
    const uint32_t seq = m.post(abi::OP_PING, token, i, 0, 0);
    auto r = wait_reply(m, seq);
    ASSERT_TRUE(r.has_value()) << "no reply to command " << i;
    ASSERT_EQ(r->status, abi::STATUS_OK);
    ASSERT_EQ(r->value[0], token) << "reply carries another command's arguments";
    ASSERT_EQ(r->value[1], i);
    ASSERT_LT(r->value[2], 4u);
  }
  k.stop();
  const auto a = k.answered();
  ASSERT_EQ(a.size(), n) << "a command was claimed more (or fewer) than once";
  for (uint32_t i = 0; i < n; ++i) EXPECT_EQ(a[i], i + 1);
}

}  // namespace
}  // namespace gpuos
