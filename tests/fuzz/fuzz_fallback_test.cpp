// fuzz_fallback_test.cpp: deterministic mutation testing of load_module()
// for builds without libFuzzer (any compiler, normal CI).
//
// Each seed module gets thousands of random mutations (bit flips, byte
// overwrites with interesting values, truncations, insertions, deletions,
// duplicated chunks, LEB128 stretching) from a fixed-seed generator, so
// failures reproduce. Every result must pass check_load_result() and the
// whole run must stay fast (a hang shows up as a test timeout).
#include <gtest/gtest.h>

#include <chrono>
#include <random>

#include "procs/wasm/decoder.h"
#include "tests/fuzz/fuzz_checks.h"
#include "tests/fuzz/seed_modules.h"

namespace gpuos::wasm {
namespace {

using test::Bytes;

constexpr uint32_t kRandomSeed = 0x5eed2026;
constexpr int kMutantsPerSeed = 40000;

class Mutator {
 public:
  explicit Mutator(uint32_t seed) : rng_(seed) {}

  Bytes mutate(Bytes b) {
    const int rounds = 1 + static_cast<int>(pick(4));
    for (int i = 0; i < rounds; ++i) mutate_once(b);
    return b;
  }

 private:
  size_t pick(size_t n) { return n == 0 ? 0 : std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }

  void mutate_once(Bytes& b) {
    static constexpr uint8_t kInteresting[] = {0x00, 0x01, 0x02, 0x05, 0x0b, 0x40, 0x41, 0x60, 0x6f, 0x70,
                                               0x7b, 0x7f, 0x80, 0xfc, 0xfd, 0xff};
    // Keep the header most of the time so mutations reach the sections.
    const size_t lo = b.size() > 8 && pick(8) != 0 ? 8 : 0;
    const size_t pos = lo + pick(b.size() - lo + 1);
    switch (pick(7)) {
      case 0:  // flip a bit
        if (pos < b.size()) b[pos] ^= static_cast<uint8_t>(1u << pick(8));
        break;
      case 1:  // interesting byte
        if (pos < b.size()) b[pos] = kInteresting[pick(sizeof kInteresting)];
        break;
      case 2:  // truncate
        b.resize(pos);
        break;
      case 3: {  // insert random bytes
        Bytes extra(1 + pick(8));
        for (uint8_t& x : extra) x = static_cast<uint8_t>(pick(256));
        b.insert(b.begin() + static_cast<ptrdiff_t>(std::min(pos, b.size())), extra.begin(), extra.end());
        break;
      }
      case 4:  // delete a range
        if (pos < b.size()) b.erase(b.begin() + static_cast<ptrdiff_t>(pos),
                                    b.begin() + static_cast<ptrdiff_t>(std::min(b.size(), pos + 1 + pick(16))));
        break;
      case 5: {  // duplicate a chunk somewhere else
        if (b.empty()) break;
        const size_t from = pick(b.size());
        const size_t len = std::min(b.size() - from, 1 + pick(32));
        const Bytes chunk(b.begin() + static_cast<ptrdiff_t>(from), b.begin() + static_cast<ptrdiff_t>(from + len));
        b.insert(b.begin() + static_cast<ptrdiff_t>(std::min(pos, b.size())), chunk.begin(), chunk.end());
        break;
      }
      case 6: {  // large LEB128 value (a count, length or index)
        static const Bytes kBig[] = {{0xff, 0xff, 0xff, 0xff, 0x0f}, {0x80, 0x80, 0x04}, {0xe8, 0x07}};
        const Bytes& big = kBig[pick(3)];
        if (pos < b.size()) b[pos] = big[0];
        b.insert(b.begin() + static_cast<ptrdiff_t>(std::min(pos + 1, b.size())), big.begin() + 1, big.end());
        break;
      }
    }
  }

  std::mt19937 rng_;
};

TEST(FuzzFallback, SeedsAreValid) {
  for (const Bytes& seed : test::seed_modules()) {
    const auto r = load_module(seed);
    ASSERT_TRUE(r.ok()) << r.detail();
    EXPECT_EQ(test::check_load_result(seed, r), nullptr);
  }
}

TEST(FuzzFallback, MutationsNeverBreakTheDecoder) {
  Mutator mutator(kRandomSeed);
  int accepted = 0, refused = 0;
  const auto start = std::chrono::steady_clock::now();
  for (const Bytes& seed : test::seed_modules()) {
    for (int i = 0; i < kMutantsPerSeed; ++i) {
      const Bytes mutant = mutator.mutate(seed);
      const auto r = load_module(mutant);
      const char* problem = test::check_load_result(mutant, r);
      ASSERT_EQ(problem, nullptr) << problem << " (seed " << &seed - &test::seed_modules()[0] << ", mutant " << i
                                  << ")" << (r.ok() ? "" : ": " + r.detail());
      (r.ok() ? accepted : refused)++;
    }
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("%d mutants accepted, %d refused, %.2f s\n", accepted, refused, seconds);
  EXPECT_GT(refused, 0);
}

TEST(FuzzFallback, RandomBytesAfterHeader) {
  std::mt19937 rng(kRandomSeed + 1);
  for (int i = 0; i < 20000; ++i) {
    Bytes b = test::header();
    const size_t n = rng() % 64;
    for (size_t k = 0; k < n; ++k) b.push_back(static_cast<uint8_t>(rng()));
    const auto r = load_module(b);
    const char* problem = test::check_load_result(b, r);
    ASSERT_EQ(problem, nullptr) << problem;
  }
}

}  // namespace
}  // namespace gpuos::wasm
