// Watch pymecompress.stream's live page in headless Chromium (puppeteer-core, the system's browser): load it,
// print "connected" once its WebSocket is open, wait until the stream has ended and every frame is decoded (or
// TIMEOUT seconds), save a screenshot, and print window.liveState as JSON.
//   node browser/live-check.mjs URL SCREENSHOT.png [TIMEOUT]
// The browser is $CHROME, else /usr/bin/chromium; nothing is downloaded.
import { openPage } from "./page.mjs";

const [url, screenshot, timeout = "60"] = process.argv.slice(2);
const { browser, page, log } = await openPage(url, 800, 600);
try {
  await page.waitForFunction(() => window.liveState && (window.liveState.connected || window.liveState.error),
    { timeout: 30000 });
  console.log("connected");
  await page.waitForFunction(
    () => {
      const s = window.liveState;
      return s.error || (s.closed && s.renders > 0 && document.getElementById("status").textContent.includes("ended"));
    },
    { timeout: Number(timeout) * 1000 },
  );
  await page.screenshot({ path: screenshot });
  const state = await page.evaluate(() => JSON.parse(JSON.stringify(window.liveState)));
  console.log(JSON.stringify({ ...state, log }));
} catch (err) {
  console.error(`live-check: ${err.message}\n${log.join("\n")}`);
  throw err;
} finally {
  await browser.close();
}
