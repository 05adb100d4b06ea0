// run_node.mjs: the Node.js peer of gpuos_bench_vm (bench/README.md).
//
//   node run_node.mjs compute.wasm ITERS CALLS [BASE]
//
// Compiles and instantiates the module once, then calls run(BASE, ITERS)
// CALLS times and prints one JSON line on stdout:
//   {"checksum": "<u64 decimal>", "calls": N, "iters": N, "consistent": true, "run_s": S}
// `checksum` is the first call's result as an unsigned 64-bit decimal;
// `consistent` says every call returned it; `run_s` is the time of the
// call loop alone (the bench's own figure is the wall time of the whole
// process, start-up and compilation included).
import { readFileSync } from 'node:fs';

const [path, itersArg, callsArg, baseArg] = process.argv.slice(2);
if (!path || !itersArg || !callsArg) {
  process.stderr.write('usage: node run_node.mjs compute.wasm ITERS CALLS [BASE]\n');
  process.exit(2);
}
const iters = Number(itersArg) | 0;
const calls = Number(callsArg);
const base = Number(baseArg ?? 0) | 0;

const { instance } = await WebAssembly.instantiate(readFileSync(path));
const run = instance.exports.run;
const t0 = process.hrtime.bigint();
let first = null;
let consistent = true;
for (let c = 0; c < calls; ++c) {
  const r = BigInt.asUintN(64, run(base, iters));
  if (first === null) first = r;
  else if (r !== first) consistent = false;
}
const runS = Number(process.hrtime.bigint() - t0) / 1e9;
process.stdout.write(JSON.stringify({ checksum: String(first), calls, iters, consistent, run_s: runS }) + '\n');
