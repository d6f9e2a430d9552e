// Pixels of a decoded region to a grey-level canvas, contrast limits, statistics.

/** Value at row i, column j of a region (any memory order). */
export function valueAt(region, i, j) {
  return region.data[i * region.stride[0] + j * region.stride[1]];
}

/** Sum, minimum, maximum and an FNV-1a hash of the region's values (row-major), for checks. */
export function regionStats(region) {
  const [h, w] = region.shape;
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  let hash = 0x811c9dc5;
  for (let i = 0; i < h; i++) {
    for (let j = 0; j < w; j++) {
      const v = Number(valueAt(region, i, j));
      sum += v;
      if (v < min) min = v;
      if (v > max) max = v;
      hash = Math.imul(hash ^ (v & 0xffff), 0x01000193) >>> 0;
    }
  }
  return { sum, min, max, count: h * w, hash: hash.toString(16).padStart(8, "0") };
}

/** Contrast limits from a region: its 0.1 and 99.9 percentiles (of up to 65536 sampled values). */
export function autoContrast(region) {
  const [h, w] = region.shape;
  const n = h * w;
  const step = Math.max(1, Math.floor(n / 65536));
  const sample = [];
  for (let k = 0; k < n; k += step) sample.push(Number(valueAt(region, Math.floor(k / w), k % w)));
  sample.sort((a, b) => a - b);
  const lo = sample[Math.floor(0.001 * (sample.length - 1))];
  let hi = sample[Math.ceil(0.999 * (sample.length - 1))];
  if (hi <= lo) hi = lo + 1;
  return [lo, hi];
}

/** An offscreen canvas holding the region in grey levels between the contrast limits. */
export function toCanvas(region, [lo, hi]) {
  const [h, w] = region.shape;
  const canvas = document.createElement("canvas");
  canvas.width = w;
  canvas.height = h;
  const ctx = canvas.getContext("2d");
  const image = ctx.createImageData(w, h);
  const px = image.data;
  const scale = 255 / (hi - lo || 1);
  for (let i = 0, k = 0; i < h; i++) {
    for (let j = 0; j < w; j++, k += 4) {
      const g = Math.max(0, Math.min(255, (Number(valueAt(region, i, j)) - lo) * scale));
      px[k] = px[k + 1] = px[k + 2] = g;
      px[k + 3] = 255;
    }
  }
  ctx.putImageData(image, 0, 0);
  return canvas;
}
