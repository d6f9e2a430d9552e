// The README's JavaScript example (the script its "Reading in JavaScript" block writes to js/read.mjs) runs.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { dir, manifest } from "./lib/cases.mjs";

const js = fileURLToPath(new URL("..", import.meta.url));

test("the README's read.mjs reads a zarr v3 array and decodes a chunk", () => {
  const readme = readFileSync(join(js, "..", "README.md"), "utf8");
  const found = readme.match(/cat > js\/read\.mjs <<'JS'\n([\s\S]*?)\nJS\n/);
  assert.ok(found, "README.md has no `cat > js/read.mjs <<'JS'` block");
  // inside js/ (the package imports itself by name), in a folder of its own
  const where = mkdtempSync(join(js, "test", ".readme-"));
  try {
    writeFileSync(join(where, "read.mjs"), found[1]);
    const store = join(dir, manifest.arrays.find((a) => a.name === "v3_C_huffquant16").path);
    const run = spawnSync(process.execPath, [join(where, "read.mjs"), store], { encoding: "utf8" });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /\[ 70, 90 \]/);
    assert.match(run.stdout, /huffquant16 32 40 1280 \{/);
  } finally {
    rmSync(where, { recursive: true, force: true });
  }
});
