// Shared by the check scripts: the system's Chromium (headless, through puppeteer-core; $CHROME, else
// /usr/bin/chromium; nothing is downloaded) with one page loaded, whose console messages and errors are logged.
import puppeteer from "puppeteer-core";

/**
 * @param {string} url
 * @param {number} width
 * @param {number} height
 * @returns {Promise<{browser: import("puppeteer-core").Browser, page: import("puppeteer-core").Page, log: string[]}>}
 */
export async function openPage(url, width, height) {
  const browser = await puppeteer.launch({
    executablePath: process.env.CHROME || "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", `--window-size=${width},${height}`],
    defaultViewport: { width, height },
  });
  const log = [];
  try {
    const page = await browser.newPage();
    page.on("console", (m) => log.push(`console.${m.type()}: ${m.text()}`));
    page.on("pageerror", (e) => log.push(`pageerror: ${e.message}`));
    await page.goto(url, { waitUntil: "load" });
    return { browser, page, log };
  } catch (err) {
    await browser.close();
    throw err;
  }
}
