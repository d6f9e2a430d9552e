// Build the browser viewer into a folder (default: ../pymecompress/viewer, committed so that `pymecompress view`
// and pymecompress.stream's live page work for users who installed pymecompress without Node): the pages
// (viewer.html, live.html), esbuild bundles of the viewer and the live page with
// zarrita.js and this package (plus lazily loaded chunks), and the wasm module from dist/ (run scripts/build-wasm.mjs first).
//   node scripts/build-viewer.mjs [OUT]
import { copyFileSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const jsDir = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const out = resolve(process.argv[2] ?? join(jsDir, "..", "pymecompress", "viewer"));
const KEEP = new Set(["__init__.py"]); // the folder is also a Python package-data folder

mkdirSync(out, { recursive: true });
for (const name of readdirSync(out)) if (!KEEP.has(name)) rmSync(join(out, name), { recursive: true });
await build({
  entryPoints: { viewer: join(jsDir, "viewer", "main.js"), live: join(jsDir, "viewer", "live.js") },
  outdir: out,
  entryNames: "[name]",
  chunkNames: "chunk-[hash]", // codecs zarrita loads on demand (blosc, zstd, lz4), fetched only when used
  splitting: true,
  bundle: true,
  format: "esm",
  platform: "browser",
  target: ["es2022"],
  minify: true,
  legalComments: "eof",
  external: ["node:*"],
  logLevel: "warning",
});
copyFileSync(join(jsDir, "viewer", "viewer.html"), join(out, "viewer.html"));
copyFileSync(join(jsDir, "viewer", "live.html"), join(out, "live.html")); // pymecompress.stream's page
copyFileSync(join(jsDir, "dist", "pymecompress.wasm"), join(out, "pymecompress.wasm"));
copyFileSync(join(jsDir, "dist", "build.json"), join(out, "build.json"));
console.log(`viewer: ${out}: ${readdirSync(out).sort().join(", ")}`);
