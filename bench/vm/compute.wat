;; compute.wat: the VM benchmark's workload (bench/vm/bench_vm.cpp, bench/README.md).
;;
;; run(base, iters) -> i64 runs `iters` iterations of a loop that mixes
;;   - integer arithmetic: i32/i64 mul, add, xor, rotl, shifts;
;;   - float arithmetic: f64 mul/add/convert, f32 mul/add/convert;
;;   - calls: the helper $mix every iteration, and $rec, a recursion 3 deep
;;     (4 frames) every iteration;
;;   - memory traffic: an i64 load+store and an f64 load+store per iteration
;;     in this invocation's own 256-byte region [base, base+256).
;; and returns a checksum of everything it computed and of the region.
;;
;; The region is cleared first, and every address is base + an offset that
;; depends only on the iteration, so the checksum depends on `iters` alone,
;; never on `base` or on what an earlier run left in memory: every lane of a
;; GPU run must return the CPU reference executor's checksum.
;;
;; 256 pages = 16 MiB = 65,536 regions of 256 bytes (base = lane * 256).
;;
;; Written flat, one instruction per line, so that the number of WebAssembly
;; instructions executed per call can be counted from this listing; the
;; count is in bench_vm.cpp (kWasmFixed + kWasmPerIter * iters) and the
;; counting rule in bench/README.md. Counts per straight-line piece are in
;; the [brackets] below:
;;   per call:      387 (clear) + 10 (seeds) + 4 (block) + 1 (loop $main, iters > 0)
;;                  + 515 (fold) + 13 (checksum) = 930
;;   per iteration: 14 + 11 + 13 + 25 + 9 + 54 + 7 = 133
;; so run(base, iters) executes 930 + 133 * iters instructions (iters >= 1).
;; Checked against `wasm-interp --trace` (bench/README.md says how). If you
;; change the code, recount.
(module
  (memory (export "memory") 256 256)

  ;; The helper, called once per iteration. [7]
  (func $mix (param $h i64) (param $v i64) (result i64)
    local.get $h
    local.get $v
    i64.xor
    i64.const 0x9E3779B97F4A7C15
    i64.mul
    i64.const 27
    i64.rotl)

  ;; rec(n, v) = rec(n - 1, v * 3 + n) ^ n, rec(0, v) = v.
  ;; n > 0: [14] plus the callee; n == 0: [5]. rec(3, v): 3 * 14 + 5 = 47.
  (func $rec (param $n i32) (param $v i32) (result i32)
    local.get $n
    i32.eqz
    if
      local.get $v
      return
    end
    local.get $n
    i32.const 1
    i32.sub
    local.get $v
    i32.const 3
    i32.mul
    local.get $n
    i32.add
    call $rec
    local.get $n
    i32.xor)

;; Does nothing: gpuos_bench_vm times a GpuVm::run of N of these to get the
  ;; fixed cost of a run of N lanes (upload, launch, write-back).
  (func (export "idle") (param $base i32) (param $iters i32) (result i64)
    i64.const 0)

  (func $run (export "run") (param $base i32) (param $iters i32) (result i64)
    (local $i i32) (local $x i32) (local $h i64) (local $f f64) (local $g f32) (local $addr i32)
    ;; Clear the region: 32 i64 stores. [2] + loop [1] + 32 * [12] = 387
    i32.const 0
    local.set $i
    loop $clear
      local.get $base
      local.get $i
      i32.add
      i64.const 0
      i64.store
      local.get $i
      i32.const 8
      i32.add
      local.tee $i
      i32.const 256
      i32.lt_u
      br_if $clear
    end
    ;; Seeds. [10]
    i64.const 0x0123456789ABCDEF
    local.set $h
    i32.const 0x2545F491
    local.set $x
    f64.const 1.0
    local.set $f
    f32.const 1.0
    local.set $g
    i32.const 0
    local.set $i
    ;; [4] (+ loop [1] when iters > 0)
    block $done
      local.get $iters
      i32.eqz
      br_if $done
      loop $main
        ;; h = mix(h, u64(i ^ x)). [7] + $mix [7] = 14
        local.get $h
        local.get $i
        local.get $x
        i32.xor
        i64.extend_i32_u
        call $mix
        local.set $h
        ;; x = rotl(x * 0x01000193 ^ wrap(h), 7) + i. [11]
        local.get $x
        i32.const 0x01000193
        i32.mul
        local.get $h
        i32.wrap_i64
        i32.xor
        i32.const 7
        i32.rotl
        local.get $i
        i32.add
        local.set $x
        ;; Region word (i & 15) += h. [13]
        local.get $base
        local.get $i
        i32.const 15
        i32.and
        i32.const 3
        i32.shl
        i32.add
        local.tee $addr
        local.get $addr
        i64.load
        local.get $h
        i64.add
        i64.store
        ;; f64: f = f * (1 - 2^-10) + f64(x & 0xffff) + word[16 + (5i & 15)] * 2^-13,
        ;; stored back to that word. [25]
        local.get $base
        local.get $i
        i32.const 5
        i32.mul
        i32.const 15
        i32.and
        i32.const 3
        i32.shl
        i32.add
        local.tee $addr
        local.get $f
        f64.const 0.9990234375
        f64.mul
        local.get $x
        i32.const 0xffff
        i32.and
        f64.convert_i32_u
        f64.add
        local.get $addr
        f64.load offset=128
        f64.const 0.0001220703125
        f64.mul
        f64.add
        local.tee $f
        f64.store offset=128
        ;; f32: g = g * 0.5 + f32(x >> 20). [9]
        local.get $g
        f32.const 0.5
        f32.mul
        local.get $x
        i32.const 20
        i32.shr_u
        f32.convert_i32_u
        f32.add
        local.set $g
        ;; h ^= u64(rec(3, x)). [7] + rec(3) [47] = 54
        i32.const 3
        local.get $x
        call $rec
        i64.extend_i32_u
        local.get $h
        i64.xor
        local.set $h
        ;; ++i < iters. [7]
        local.get $i
        i32.const 1
        i32.add
        local.tee $i
        local.get $iters
        i32.lt_u
        br_if $main
      end
    end
    ;; Fold the region into h: [2] + loop [1] + 32 * [16] = 515
    i32.const 0
    local.set $i
    loop $fold
      local.get $h
      i64.const 31
      i64.rotl
      local.get $base
      local.get $i
      i32.add
      i64.load
      i64.add
      local.set $h
      local.get $i
      i32.const 8
      i32.add
      local.tee $i
      i32.const 256
      i32.lt_u
      br_if $fold
    end
    ;; Checksum. [13]
    local.get $h
    local.get $x
    i64.extend_i32_u
    i64.const 32
    i64.shl
    i64.xor
    local.get $f
    i64.reinterpret_f64
    i64.xor
    local.get $g
    i32.reinterpret_f32
    i64.extend_i32_u
    i64.xor))
