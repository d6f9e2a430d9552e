// Compile the pymecompress C core to dist/pymecompress.wasm with Debian's clang, lld and wasi-libc.
//
// The C sources are the ones c-sources.txt at the repository root lists (the one list every build reads; the
// folders of its files are the include directories), plus js/*.c glue if any. The exported C functions are the ones
// src/wasm.js names (C_FUNCTIONS), so adapting to a new C API touches src/wasm.js only.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { C_FUNCTIONS } from "../src/wasm.js";

const here = dirname(fileURLToPath(import.meta.url));
const jsDir = resolve(here, "..");
const root = resolve(jsDir, "..");

/** The paths c-sources.txt lists (relative to the root; text after '#' and blank lines skipped). */
function listedSources() {
  return readFileSync(join(root, "c-sources.txt"), "utf8").split("\n")
    .map((line) => line.replace(/#.*/, "").trim()).filter((line) => line.length > 0);
}

/** Every file of a folder whose name ends with `ext`, sorted (none when the folder does not exist). */
function filesOf(dir, ext) {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return [];
  return readdirSync(dir).filter((f) => f.endsWith(ext)).sort().map((f) => join(dir, f));
}
const cFiles = (dir) => filesOf(dir, ".c");

const listed = listedSources();
if (listed.length === 0) throw new Error("no C sources listed in " + join(root, "c-sources.txt"));
const folders = [...new Set(listed.map((f) => join(root, dirname(f))))];
const sources = [...listed.map((f) => join(root, f)), ...cFiles(jsDir)];
const includes = [root, join(root, "include"), ...folders].filter((d) => existsSync(d)).map((d) => "-I" + d);

const out = join(jsDir, "dist", "pymecompress.wasm");
mkdirSync(dirname(out), { recursive: true });
const clang = process.env.CLANG || "clang";
const args = [
  "--target=wasm32-wasi", "-mexec-model=reactor",
  "-std=c99", "-O3", "-ffp-contract=off", "-fno-strict-aliasing", "-DNDEBUG", "-Wall", "-Wextra", "-Werror",
  "-msimd128", "-mbulk-memory", "-flto",
  ...includes, ...sources,
  "-Wl,-z,stack-size=1048576", "-Wl,--max-memory=4294967296", "-Wl,--strip-all", "-Wl,--gc-sections",
  ...["malloc", "free", ...C_FUNCTIONS].map((name) => "-Wl,--export=" + name),
  "-o", out,
];
const rel = (p) => relative(jsDir, p);
console.log(`wasm: ${clang} ... ${sources.map(rel).join(" ")}`);
const result = spawnSync(clang, args, { stdio: "inherit" });
if (result.error) throw new Error(`cannot run ${clang}: ${result.error.message} (apt-get install clang lld wasi-libc)`);
if (result.status !== 0) process.exit(result.status ?? 1);

// The module must be self-contained: no imports at all (no WASI, no JS glue).
const module = new WebAssembly.Module(readFileSync(out));
const imports = WebAssembly.Module.imports(module);
if (imports.length) throw new Error("the wasm module imports " + JSON.stringify(imports));
console.log(`wasm: ${rel(out)} ${statSync(out).size} bytes, no imports`);

// What the module was built from: the committed viewer carries this (pymecompress/viewer/build.json), so a test
// can tell that its wasm matches the C sources even where another clang would not reproduce its bytes.
const hash = createHash("sha256");
for (const file of [...sources, ...[...folders, join(root, "include"), jsDir].flatMap((d) => filesOf(d, ".h"))]) {
  hash.update(relative(root, file) + "\0");
  hash.update(readFileSync(file));
}
const version = spawnSync(clang, ["--version"], { encoding: "utf8" }).stdout.split("\n")[0];
const info = {
  c_sources_sha256: hash.digest("hex"),
  clang: version.replace(/^.*clang version ([^\s]+).*$/, "$1"),
  wasm_sha256: createHash("sha256").update(readFileSync(out)).digest("hex"),
};
writeFileSync(join(jsDir, "dist", "build.json"), JSON.stringify(info, null, 1) + "\n");
