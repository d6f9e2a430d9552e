// The pymecompress viewer: viewer.html?store=URL shows a zarr array or OME-Zarr image, decoding its chunks in the
// browser (the pymecompress C decoders compiled to WebAssembly, through zarrita.js). Only the chunks of the
// visible part of a frame are fetched. An array that pymecompress.stream is still recording (its attributes say
// `pymecompress.recording.active`) is followed: new frames extend the first slider, and a slider at the last frame
// moves on to the newest. `window.viewerState` describes what is shown (for tests and scripts).
import * as zarr from "zarrita";
import { register, setWasmSource } from "../src/index.js";
import { autoContrast, regionStats, toCanvas, valueAt } from "./render.js";
import { chooseLevel, fetchRegion, openImage, recording, reopenArray } from "./store.js";

setWasmSource(new URL("pymecompress.wasm", import.meta.url));
register(zarr.registry);

const $ = (id) => document.getElementById(id);
const canvas = $("view");
const ctx = canvas.getContext("2d");

/** What the page shows; read by tests (puppeteer) and scripts. */
const state = {
  ready: false, error: null, store: null, axes: [], shape: [], levels: [], index: [], level: 0,
  region: null, sum: null, min: null, max: null, count: 0, hash: null, contrast: null, renders: 0,
  view: { cx: 0, cy: 0, zoom: 1 }, following: false, frames: null,
};
window.viewerState = state;

let image = null; // {levels, axes, name}
let shown = null; // the last drawn region
let autoPending = true; // set the contrast limits from the next frame drawn
let wanted = []; // the frame the sliders ask for (state.index is the one drawn)

function status(text, isError = false) {
  $("status").textContent = text;
  $("status").className = isError ? "error" : "";
}

function resize() {
  const r = canvas.getBoundingClientRect();
  canvas.width = Math.max(1, Math.round(r.width));
  canvas.height = Math.max(1, Math.round(r.height));
}

/** The shape to show: the array's, with as many frames as a recording has completed. */
function fullShape() {
  const shape = image.levels[0].array.shape.slice();
  if (state.frames !== null) shape[0] = Math.min(shape[0], state.frames);
  return shape;
}

const FOLLOW_MS = 1000;

/** While a recording is active: re-read the array's metadata, show new frames, follow the newest. */
async function follow() {
  const array = await reopenArray(state.store);
  const rec = recording(array);
  const before = state.frames;
  const slider = document.getElementById("axis0");
  const atEnd = !slider || Number(slider.value) >= before - 1;
  image.levels[0].array = array;
  state.frames = rec ? rec.frames : array.shape[0];
  state.following = Boolean(rec?.active);
  state.shape = fullShape();
  if (state.frames !== before) {
    buildSliders();
    if (atEnd && state.frames > 0) {
      wanted[0] = state.frames - 1;
      document.getElementById("axis0").value = String(wanted[0]);
      document.getElementById("axis0").dispatchEvent(new Event("input"));
    }
  }
  if (!state.following) {
    requestRender(); // the last frame as finally written, and the status says the recording ended
    return;
  }
  setTimeout(() => follow().catch(followFailed), FOLLOW_MS);
}

function followFailed(err) {
  state.error = `cannot follow the recording: ${err.message}`;
  status(state.error, true);
}

function fit() {
  const shape = fullShape();
  const [ny, nx] = shape.slice(-2);
  state.view = { cx: nx / 2, cy: ny / 2, zoom: Math.min(canvas.width / nx, canvas.height / ny) };
}

/** The rectangle of the full-resolution frame that the canvas shows. */
function visibleRect() {
  const { cx, cy, zoom } = state.view;
  const hw = canvas.width / (2 * zoom);
  const hh = canvas.height / (2 * zoom);
  return { x0: cx - hw, x1: cx + hw, y0: cy - hh, y1: cy + hh };
}

async function render() {
  const levelIndex = chooseLevel(image.levels, state.view.zoom);
  const level = image.levels[levelIndex];
  const index = wanted.slice();
  const region = await fetchRegion(level, index, visibleRect());
  ctx.fillStyle = "#000";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  shown = region && { ...region, index, level: levelIndex };
  if (!region) return;
  if (autoPending) {
    setContrast(autoContrast(region));
    autoPending = false;
  }
  const { cx, cy, zoom } = state.view;
  const f = region.factor;
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(toCanvas(region, state.contrast),
    (region.x0 * f - cx) * zoom + canvas.width / 2, (region.y0 * f - cy) * zoom + canvas.height / 2,
    region.shape[1] * f * zoom, region.shape[0] * f * zoom);
  Object.assign(state, regionStats(region), {
    index, level: levelIndex, region: { y0: region.y0, y1: region.y1, x0: region.x0, x1: region.x1 },
    renders: state.renders + 1, ready: true,
  });
  const recorded = state.frames === null ? "" : state.following ? ` · recording: ${state.frames} frames so far`
    : " · recording ended";
  status(`${image.levels[levelIndex].path ? `level ${image.levels[levelIndex].path}, ` : ""}` +
    `${region.shape[1]}×${region.shape[0]} pixels of frame [${index.join(", ")}]${recorded}`);
}

// Renders run one at a time; changes made meanwhile (a dragged slider) are drawn as soon as it finishes, so
// frames keep appearing while the slider moves and the last position always ends up drawn.
let rendering = false;
let dirty = false;
async function requestRender() {
  dirty = true;
  if (rendering) return;
  rendering = true;
  while (dirty) {
    dirty = false;
    try {
      await render();
      state.error = null;
    } catch (err) {
      state.error = String(err?.cause?.message ?? err?.message ?? err);
      status(`error: ${state.error}`, true);
      console.error(err);
    }
  }
  rendering = false;
}

function setContrast([lo, hi]) {
  state.contrast = [lo, hi];
  $("cmin").value = String(lo);
  $("cmax").value = String(hi);
}

function buildSliders() {
  const box = $("sliders");
  box.textContent = "";
  const shape = fullShape();
  shape.slice(0, -2).forEach((n, axis) => {
    const label = document.createElement("label");
    const input = Object.assign(document.createElement("input"),
      { type: "range", min: 0, max: Math.max(0, n - 1), value: Math.min(wanted[axis] ?? 0, Math.max(0, n - 1)) });
    input.id = `axis${axis}`;
    const text = document.createElement("span");
    const show = () => { text.textContent = `${input.value} / ${n - 1}`; };
    input.addEventListener("input", () => {
      wanted[axis] = Number(input.value);
      show();
      requestRender();
    });
    show();
    label.append(`${image.axes[axis] ?? `axis ${axis}`}`, input, text);
    box.append(label);
  });
}

function showPixel(event) {
  if (!shown) return;
  const r = canvas.getBoundingClientRect();
  const { cx, cy, zoom } = state.view;
  const x = cx + (event.clientX - r.left - canvas.width / 2) / zoom;
  const y = cy + (event.clientY - r.top - canvas.height / 2) / zoom;
  const i = Math.floor(y / shown.factor) - shown.y0;
  const j = Math.floor(x / shown.factor) - shown.x0;
  if (i < 0 || j < 0 || i >= shown.shape[0] || j >= shown.shape[1]) {
    $("pixel").textContent = "";
    return;
  }
  const value = valueAt(shown, i, j);
  state.pixel = { x: Math.floor(x), y: Math.floor(y), value: Number(value) };
  $("pixel").textContent = `x ${Math.floor(x)}, y ${Math.floor(y)}: ${value}` +
    (shown.factor > 1 ? ` (level ${shown.level}, ${shown.factor}× binned)` : "");
}

function wireControls() {
  const readContrast = () => {
    const lo = Number($("cmin").value);
    const hi = Number($("cmax").value);
    if (Number.isFinite(lo) && Number.isFinite(hi) && hi > lo) {
      state.contrast = [lo, hi];
      requestRender();
    }
  };
  $("cmin").addEventListener("change", readContrast);
  $("cmax").addEventListener("change", readContrast);
  $("auto").addEventListener("click", () => { autoPending = true; requestRender(); });
  $("fit").addEventListener("click", () => { fit(); requestRender(); });
  canvas.addEventListener("wheel", (event) => {
    event.preventDefault();
    const r = canvas.getBoundingClientRect();
    const { cx, cy, zoom } = state.view;
    const mx = event.clientX - r.left - canvas.width / 2;
    const my = event.clientY - r.top - canvas.height / 2;
    const z = zoom * (event.deltaY < 0 ? 1.25 : 0.8);
    // keep the pixel under the cursor where it is
    state.view = { cx: cx + mx / zoom - mx / z, cy: cy + my / zoom - my / z, zoom: z };
    requestRender();
  }, { passive: false });
  let drag = null;
  canvas.addEventListener("pointerdown", (event) => {
    drag = { x: event.clientX, y: event.clientY };
    canvas.setPointerCapture(event.pointerId);
  });
  canvas.addEventListener("pointermove", (event) => {
    if (drag) {
      state.view.cx -= (event.clientX - drag.x) / state.view.zoom;
      state.view.cy -= (event.clientY - drag.y) / state.view.zoom;
      drag = { x: event.clientX, y: event.clientY };
      requestRender();
    }
    showPixel(event);
  });
  canvas.addEventListener("pointerup", () => { drag = null; });
  // keep one canvas pixel per screen pixel whenever the page's layout changes its size
  let size = `${canvas.width}x${canvas.height}`;
  new ResizeObserver(() => {
    resize();
    if (`${canvas.width}x${canvas.height}` === size) return;
    size = `${canvas.width}x${canvas.height}`;
    requestRender();
  }).observe($("stage"));
}

async function main() {
  const param = new URLSearchParams(location.search).get("store");
  if (!param) {
    status("add ?store=URL (the zarr store's address) to this page's address", true);
    state.error = "no store";
    return;
  }
  const url = new URL(param.endsWith("/") ? param : `${param}/`, location.href).href;
  state.store = url;
  try {
    image = await openImage(url);
  } catch (err) {
    state.error = `cannot open ${url}: ${err.message}`;
    status(state.error, true);
    return;
  }
  $("title").textContent = image.name;
  document.title = `${image.name} – pymecompress viewer`;
  state.axes = image.axes;
  const rec = image.levels.length === 1 ? recording(image.levels[0].array) : null;
  if (rec) {
    state.frames = rec.frames;
    state.following = rec.active;
  }
  state.shape = fullShape();
  state.levels = image.levels.map((l) => ({ path: l.path, shape: l.array.shape, factor: l.factor }));
  wanted = state.shape.slice(0, -2).map(() => 0);
  if (state.following && state.shape[0] > 0) wanted[0] = state.shape[0] - 1; // a recording: its newest frame
  buildSliders(); // before measuring the canvas: the sliders take room from it
  resize();
  fit();
  wireControls();
  if (state.shape[0] === 0) status("recording: waiting for the first frame");
  else await requestRender();
  if (state.following) setTimeout(() => follow().catch(followFailed), FOLLOW_MS);
}

main();
