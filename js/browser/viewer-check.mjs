// Drive the viewer in headless Chromium (puppeteer-core, the system's browser): load a page, wait for the first
// frame, move the first slider through some frames (as a drag does) to a target frame, hover the canvas, save a
// screenshot, and print what window.viewerState said at each step as JSON.
//   node browser/viewer-check.mjs URL TARGET_FRAME SCREENSHOT.png
// The browser is $CHROME, else /usr/bin/chromium; nothing is downloaded.
import { openPage } from "./page.mjs";

const [url, target, screenshot] = process.argv.slice(2);
const { browser, page, log } = await openPage(url, 900, 700);
try {
  const settled = (want) => page.waitForFunction(
    (w) => {
      const s = window.viewerState;
      return s && (s.error || (s.ready && s.renders >= w.renders && (w.frame == null || s.index[0] === w.frame)));
    },
    { timeout: 30000 }, want,
  );
  await settled({ renders: 1 });
  const state = () => page.evaluate(() => JSON.parse(JSON.stringify(window.viewerState)));
  const first = await state();
  // move the slider the way a drag does: input events one after another, without waiting for each frame
  const frames = [];
  for (let f = 1; f <= Number(target); f++) frames.push(f);
  await page.evaluate((fs) => {
    const slider = document.getElementById("axis0");
    for (const f of fs) {
      slider.value = String(f);
      slider.dispatchEvent(new Event("input", { bubbles: true }));
    }
  }, frames);
  await settled({ renders: first.renders + 1, frame: Number(target) });
  const moved = await state();
  const box = await (await page.$("#view")).boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.waitForFunction(() => window.viewerState.pixel, { timeout: 10000 });
  const hovered = await state();
  await page.screenshot({ path: screenshot });
  console.log(JSON.stringify({ first, moved, hovered, log }));
} catch (err) {
  console.error(`viewer-check: ${err.message}\n${log.join("\n")}`);
  throw err;
} finally {
  await browser.close();
}
