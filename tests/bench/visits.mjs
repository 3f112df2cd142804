// Bytes a browser transfers to open a page, on a first visit (empty cache) and on the next visit
// (same browser, cache kept), the live connection's frames aside: what the server's compression
// and cache policy save a resident. `node tests/bench/visits.mjs URL` prints one JSON line.
// Uses the puppeteer-core that Lighthouse brings (tests/peers/lighthouse) and Debian's Chromium.
import { createRequire } from "node:module";
import { resolve } from "node:path";

const require = createRequire(resolve("tests/peers/lighthouse/node_modules") + "/");
const puppeteer = require("puppeteer-core");
const url = process.argv[2];
const browser = await puppeteer.launch({
  executablePath: process.env.CHROME_PATH || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
});
// Each visit in a new tab, as a resident opening the show's link again: the HTTP cache is shared,
// a tab's memory cache is not.
async function visit() {
  const page = await browser.newPage();
  await page.setViewport({ width: 412, height: 823 });
  const cdp = await page.createCDPSession();
  await cdp.send("Network.enable");
  const seen = { bytes: 0, requests: 0, from_cache: 0 };
  const status = new Map();
  cdp.on("Network.responseReceived", (e) => status.set(e.requestId, e.response));
  cdp.on("Network.loadingFinished", (e) => {
    const r = status.get(e.requestId);
    seen.bytes += e.encodedDataLength; seen.requests += 1;
    if (r?.fromDiskCache || r?.fromMemoryCache) seen.from_cache += 1;
  });
  await page.goto(url, { waitUntil: "networkidle0" });
  // The deal card drawn: the visit is complete.
  await page.waitForSelector("#stock-remaining", { timeout: 20000 });
  await page.close();
  return seen;
}
const first = await visit();
const second = await visit();
console.log(JSON.stringify({ first, second }));
await browser.close();
