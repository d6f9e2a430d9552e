// The live viewer: live.html shows the frames a pymecompress.stream.Publisher sends over its WebSocket
// (docs/STREAM.md: a 32-byte header, then one self-describing chunk), decoded in the browser by the WebAssembly
// build of the C core. Every message is decoded in order; the newest decoded frame is drawn once per animation
// frame. `window.liveState` describes what arrived (for tests and scripts).
import { decode, setWasmSource } from "../src/index.js";
import { autoContrast, regionStats, toCanvas } from "./render.js";

setWasmSource(new URL("pymecompress.wasm", import.meta.url));

const HEADER = 32;
const MAGIC = 0x464c4d50; // "PMLF" read as a little-endian u32
const KEEP = 10000; // frame indices kept in liveState.indices

const $ = (id) => document.getElementById(id);
const canvas = $("view");
const ctx = canvas.getContext("2d");

/** What arrived; read by tests (puppeteer) and scripts. */
const state = {
  connected: false, closed: false, error: null, frames: 0, indices: [], skipped: 0, last: null, renders: 0,
};
window.liveState = state;

let newest = null; // {header, region}: the last decoded frame, not drawn yet
let contrast = null; // fixed after the first frame until "Auto contrast"
let queue = Promise.resolve(); // decodes run one after another, in arrival order
let rates = []; // arrival times of recent frames, for frames per second

function status(text, isError = false) {
  $("status").textContent = text;
  $("status").className = isError ? "error" : "";
}

/** The header of a message (docs/STREAM.md). */
export function parseHeader(buffer) {
  if (buffer.byteLength < HEADER) throw new Error(`a message of ${buffer.byteLength} bytes: shorter than its header`);
  const dv = new DataView(buffer);
  if (dv.getUint32(0, true) !== MAGIC) throw new Error("not a pymecompress live-stream message");
  const version = dv.getUint8(4);
  if (version !== 1) throw new Error(`live-stream message version ${version}; this page reads version 1`);
  const code = dv.getUint8(5);
  if (code !== 1 && code !== 2) throw new Error(`unknown sample type ${code}`);
  return {
    itemsize: code, index: Number(dv.getBigUint64(8, true)), time: dv.getFloat64(16, true),
    rows: dv.getUint32(24, true), cols: dv.getUint32(28, true),
  };
}

async function receive(buffer) {
  const header = parseHeader(buffer);
  const { data } = await decode(new Uint8Array(buffer, HEADER));
  if (data.length !== header.rows * header.cols) {
    throw new Error(`frame ${header.index}: ${data.length} values for ${header.rows} x ${header.cols}`);
  }
  const region = { data, shape: [header.rows, header.cols], stride: [header.cols, 1] };
  const last = state.indices.length ? state.indices[state.indices.length - 1] : -1;
  if (header.index > last + 1) state.skipped += header.index - last - 1;
  state.indices.push(header.index);
  if (state.indices.length > KEEP) state.indices.shift();
  state.frames += 1;
  state.last = { index: header.index, time: header.time, shape: region.shape, ...regionStats(region) };
  rates.push(performance.now());
  if (rates.length > 30) rates.shift();
  if (newest === null) requestAnimationFrame(draw);
  newest = { header, region };
}

function draw() {
  if (newest === null) return;
  const { header, region } = newest;
  newest = null;
  if (contrast === null) contrast = autoContrast(region);
  const picture = toCanvas(region, contrast);
  const r = canvas.getBoundingClientRect();
  canvas.width = Math.max(1, Math.round(r.width));
  canvas.height = Math.max(1, Math.round(r.height));
  const [h, w] = region.shape;
  const zoom = Math.min(canvas.width / w, canvas.height / h);
  ctx.imageSmoothingEnabled = zoom < 1;
  ctx.fillStyle = "#000";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.drawImage(picture, (canvas.width - w * zoom) / 2, (canvas.height - h * zoom) / 2, w * zoom, h * zoom);
  state.renders += 1;
  const fps = rates.length > 1 ? (1000 * (rates.length - 1)) / (rates[rates.length - 1] - rates[0]) : 0;
  const latency = Date.now() / 1000 - header.time;
  status(`frame ${header.index} · ${w} x ${h} · ${fps.toFixed(1)} frames/s · ${(1000 * latency).toFixed(0)} ms ` +
    `behind · ${state.skipped} skipped · contrast ${contrast[0]}–${contrast[1]}`);
}

function connect() {
  const url = new URL("ws", location.href);
  url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
  const ws = new WebSocket(url);
  ws.binaryType = "arraybuffer";
  ws.onopen = () => {
    state.connected = true;
    status("connected: waiting for frames");
  };
  ws.onmessage = (event) => {
    queue = queue.then(() => receive(event.data)).catch((err) => {
      state.error = err.message;
      status(err.message, true);
    });
  };
  ws.onclose = () => {
    state.closed = true;
    queue.then(() => status(`${$("status").textContent} · the stream has ended`));
  };
  ws.onerror = () => {
    state.error = state.error ?? `cannot connect to ${url}`;
    status(state.error, true);
  };
}

$("auto").addEventListener("click", () => {
  contrast = null;
});
connect();
