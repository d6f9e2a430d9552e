// Decode speed of the WebAssembly build next to the native decoder (numcodecs), on the same chunks of real
// camera data: `npm run bench` (needs Python with pymecompress and tifffile: $PYTHON, default python3).
// Prints decoded MB/s, the median of several runs of every chunk.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { decode } from "../src/index.js";
import { loadCore } from "../src/wasm.js";

const RUNS = 15;
const out = mkdtempSync(join(tmpdir(), "pymecompress-bench-"));
const python = process.env.PYTHON || "python3";
const run = spawnSync(python, [fileURLToPath(new URL("native.py", import.meta.url)), out], { stdio: "inherit" });
if (run.status !== 0) throw new Error(`${python} bench/native.py failed`);
const native = JSON.parse(readFileSync(join(out, "native.json"), "utf8"));

await loadCore();
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log("codec          chunks  raw MB  wasm MB/s  native MB/s  wasm/native");
for (const [name, n] of Object.entries(native)) {
  const files = readdirSync(join(out, name)).sort().map((f) => new Uint8Array(readFileSync(join(out, name, f))));
  for (const f of files) await decode(f); // warm up (JIT, memory areas, quantizer tables)
  const times = [];
  for (let r = 0; r < RUNS; r++) {
    const t0 = performance.now();
    for (const f of files) await decode(f);
    times.push((performance.now() - t0) / 1000);
  }
  const wasm = n.raw_bytes / median(times) / 1e6;
  console.log(`${name.padEnd(14)} ${String(n.chunks).padStart(6)}  ${(n.raw_bytes / 1e6).toFixed(2).padStart(6)}` +
    `  ${wasm.toFixed(0).padStart(9)}  ${n.native_mbps.toFixed(0).padStart(11)}  ${(wasm / n.native_mbps).toFixed(2).padStart(11)}`);
}
