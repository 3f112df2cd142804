// What Trunk leaves undone in a built widget, run by `make widget` after Trunk:
// `node frontend/postbuild.mjs dist .tools/node_modules`.
//
// 1. Minifies wasm-bindgen's JS glue with terser (Trunk's own minifier gives up on it and leaves it
//    whole: 2 KB of the residents' 200 KB budget) and puts the new file's hash in the integrity
//    attributes of the pages that load it.
// 2. Writes `<file>.br` (brotli, best level) and `<file>.gz` (gzip -9) beside every text and wasm
//    file, so the server sends a compressed file without compressing it per request
//    (backend/src/api/assets.rs). Node's own zlib does both.
import { readdirSync, readFileSync, writeFileSync, statSync, utimesSync } from "node:fs";
import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import { join, extname, basename, resolve } from "node:path";
import { brotliCompressSync, gzipSync, constants } from "node:zlib";

const COMPRESSIBLE = new Set([".html", ".js", ".mjs", ".css", ".wasm", ".svg", ".json", ".txt", ".map"]);

function* files(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* files(path);
    else if (COMPRESSIBLE.has(extname(entry.name))) yield path;
  }
}

const [root, modules] = process.argv.slice(2);
if (!root || !modules || !statSync(root, { throwIfNoEntry: false })?.isDirectory()) {
  console.error("usage: node frontend/postbuild.mjs <dist folder> <node_modules holding terser>");
  process.exit(2);
}

// 1. The glue: each page's `<link rel=modulepreload href=/…js integrity=sha384-…>` names it.
const { minify } = createRequire(resolve(modules) + "/")("terser");
const sri = (bytes) => "sha384-" + createHash("sha384").update(bytes).digest("base64");
const pages = [...files(root)].filter((p) => p.endsWith(".html"));
let glueBefore = 0, glueAfter = 0;
for (const page of pages) {
  const html = readFileSync(page, "utf8");
  let changed = html;
  for (const [, href, integrity] of html.matchAll(/href=([^ >]+\.js) integrity=(sha384-[A-Za-z0-9+/=]+)/g)) {
    const file = join(page, "..", basename(href));
    const code = readFileSync(file, "utf8");
    if (sri(code) !== integrity) continue; // minified already (a second run): leave it
    const out = await minify(code, { module: true, compress: true, mangle: true });
    writeFileSync(file, out.code);
    changed = changed.replaceAll(integrity, sri(out.code));
    glueBefore += code.length; glueAfter += out.code.length;
  }
  if (changed !== html) writeFileSync(page, changed);
}
if (glueBefore) console.log(`minified the JS glue: ${(glueBefore / 1000).toFixed(1)} KB -> ${(glueAfter / 1000).toFixed(1)} KB`);

// 2. Compressed variants of every file.
let whole = 0, br = 0, gz = 0;
for (const path of files(root)) {
  const data = readFileSync(path);
  const brotli = brotliCompressSync(data, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
      [constants.BROTLI_PARAM_LGWIN]: constants.BROTLI_MAX_WINDOW_BITS,
      [constants.BROTLI_PARAM_SIZE_HINT]: data.length,
      [constants.BROTLI_PARAM_MODE]: path.endsWith(".wasm") ? constants.BROTLI_MODE_GENERIC : constants.BROTLI_MODE_TEXT,
    },
  });
  const gzip = gzipSync(data, { level: 9 });
  // A variant no smaller than the file is not worth a lookup (the server then sends the file).
  // Each variant carries its file's time, so `Last-Modified` (and a browser's revalidation) is the
  // same whichever encoding it is sent in.
  const { atime, mtime } = statSync(path);
  for (const [ext, bytes] of [[".br", brotli], [".gz", gzip]]) {
    if (bytes.length < data.length) {
      writeFileSync(path + ext, bytes);
      utimesSync(path + ext, atime, mtime);
    }
  }
  whole += data.length; br += Math.min(brotli.length, data.length); gz += Math.min(gzip.length, data.length);
}
const kb = (n) => (n / 1000).toFixed(1) + " KB";
console.log(`precompressed ${root}: ${kb(whole)} -> brotli ${kb(br)}, gzip ${kb(gz)}`);
