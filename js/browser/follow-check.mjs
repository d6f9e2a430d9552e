// Watch `pymecompress view` follow a store that pymecompress.stream is still recording, in headless Chromium
// (puppeteer-core, the system's browser): load the page, print "opened" once it shows a frame, wait until the
// recording has ended and the last frame is drawn (or TIMEOUT seconds), and print window.viewerState as JSON.
//   node browser/follow-check.mjs URL [TIMEOUT]
// The browser is $CHROME, else /usr/bin/chromium; nothing is downloaded.
import { openPage } from "./page.mjs";

const [url, timeout = "60"] = process.argv.slice(2);
const { browser, page, log } = await openPage(url, 800, 600);
try {
  await page.waitForFunction(() => window.viewerState && (window.viewerState.ready || window.viewerState.error),
    { timeout: 30000 });
  const opened = await page.evaluate(() => JSON.parse(JSON.stringify(window.viewerState)));
  console.log("opened");
  await page.waitForFunction(
    () => {
      const s = window.viewerState;
      return s.error || (!s.following && s.frames > 0 && s.index[0] === s.frames - 1 &&
        document.getElementById("status").textContent.includes("recording ended"));
    },
    { timeout: Number(timeout) * 1000 },
  );
  const state = await page.evaluate(() => JSON.parse(JSON.stringify(window.viewerState)));
  console.log(JSON.stringify({ opened, state, log }));
} catch (err) {
  console.error(`follow-check: ${err.message}\n${log.join("\n")}`);
  throw err;
} finally {
  await browser.close();
}
