// Host-side loads and stores on memory the kernel also touches.
//
// The shared memory is HOST_COHERENT, and in live mode it is device-local
// memory mapped through the PCIe BAR, which x86 maps write-combining. WC
// stores may leave the CPU out of order and sit in a WC buffer, so a release
// store alone would let the kernel see a new `seq` before the arguments it
// guards. Each publish is therefore fenced on both sides with a full fence
// (mfence on x86 drains the WC buffers): everything written before reaches
// memory first, and the value itself leaves the CPU now rather than later.
#pragma once

#include <atomic>
#include <cstdint>

namespace gpuos {

inline uint32_t host_load_acquire(const uint32_t& field) {
  return std::atomic_ref<uint32_t>(const_cast<uint32_t&>(field)).load(std::memory_order_acquire);
}

inline void host_publish(uint32_t& field, uint32_t value) {
  std::atomic_thread_fence(std::memory_order_seq_cst);  // earlier writes first (drains WC)
  std::atomic_ref<uint32_t>(field).store(value, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_seq_cst);  // and this one now
}

// One round of a busy wait: the CPU's pause hint, not a system call. A
// polling loop that spins on sched_yield pays a kernel entry per round, and
// a record that lands meanwhile waits for it.
inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

}  // namespace gpuos
