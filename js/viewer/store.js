// Open a zarr store (an array, or an OME-Zarr multiscale group; zarr v2 or v3) over HTTP for the viewer.
import * as zarr from "zarrita";

/**
 * The resolution levels and axis names of the image at `url`.
 * @param {string} url absolute URL of the store's root
 * @returns {Promise<{levels: {path: string, array: zarr.Array, factor: number}[], axes: string[], name: string}>}
 */
export async function openImage(url) {
  const store = new zarr.FetchStore(url);
  const node = await zarr.open(zarr.root(store));
  if (node instanceof zarr.Array) {
    const axes = node.dimensionNames ?? node.shape.map((_, i) => `axis ${i}`);
    return { levels: [{ path: "", array: node, factor: 1 }], axes, name: url };
  }
  const attrs = node.attrs.ome ?? node.attrs;
  const multiscale = attrs.multiscales?.[0];
  if (!multiscale) throw new Error("this group is not an OME-Zarr image (no multiscales): open one of its arrays");
  const arrays = await Promise.all(
    multiscale.datasets.map((ds) => zarr.open(node.resolve(ds.path), { kind: "array" })),
  );
  const width = (a) => a.shape[a.shape.length - 1];
  const levels = multiscale.datasets.map((ds, i) => ({
    path: ds.path, array: arrays[i], factor: width(arrays[0]) / width(arrays[i]),
  }));
  const axes = (multiscale.axes ?? []).map((a) => (typeof a === "string" ? a : a.name));
  const rank = arrays[0].shape.length;
  return { levels, axes: axes.length === rank ? axes : arrays[0].shape.map((_, i) => `axis ${i}`), name: multiscale.name ?? url };
}

/**
 * The level to draw at `zoom` screen pixels per full-resolution pixel: the coarsest whose pixels still cover at
 * least one screen pixel.
 */
export function chooseLevel(levels, zoom) {
  let best = 0;
  levels.forEach((level, i) => {
    if (level.factor <= Math.max(1, 1 / zoom) && level.factor > levels[best].factor) best = i;
  });
  return best;
}

/**
 * Fetch and decode the part of one frame that a rectangle (in full-resolution pixels) covers, at a level:
 * zarrita requests only the chunks that overlap it.
 */
export async function fetchRegion(level, index, rect) {
  const { array, factor } = level;
  const ny = array.shape[array.shape.length - 2];
  const nx = array.shape[array.shape.length - 1];
  const clamp = (v, hi) => Math.min(hi, Math.max(0, v));
  const y0 = clamp(Math.floor(rect.y0 / factor), ny);
  const y1 = clamp(Math.ceil(rect.y1 / factor), ny);
  const x0 = clamp(Math.floor(rect.x0 / factor), nx);
  const x1 = clamp(Math.ceil(rect.x1 / factor), nx);
  if (y1 <= y0 || x1 <= x0) return null;
  const selection = [...index, zarr.slice(y0, y1), zarr.slice(x0, x1)];
  const { data, shape, stride } = await zarr.get(array, selection);
  return { data, shape, stride, y0, y1, x0, x1, factor };
}

/** What pymecompress.stream says of an array it records: `{active, frames}` (complete frames), or null. */
export function recording(array) {
  const rec = array.attrs?.pymecompress?.recording;
  return rec && typeof rec.frames === "number" ? { active: Boolean(rec.active), frames: rec.frames } : null;
}

/** The array at the store's root, its metadata read afresh (not from the browser's cache). */
export async function reopenArray(url) {
  const store = new zarr.FetchStore(url, { overrides: { cache: "no-store" } });
  return zarr.open(zarr.root(store), { kind: "array" });
}
