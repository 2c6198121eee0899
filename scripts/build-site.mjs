#!/usr/bin/env node
// Assembles Caravan's site from built parts. Two uses:
//
//   node scripts/build-site.mjs site <wasm-bindgen-dir> <site-dir>
//       The SSR site: the hydrate bundles (the viewers' caravan.js and caravan_bg.wasm, the console's caravan_console.js
//       and caravan_console_bg.wasm), hls.js, the player's bootstrap and the bundled CSS go to
//       <site-dir>/pkg/<id>/, where <id> is a hash of their contents, so every file there can be cached forever;
//       public/ is copied to <site-dir>/; text files are precompressed (.br, .gz); manifest.json, written last,
//       tells caravan-server which pkg folder is current.
//   node scripts/build-site.mjs trunk
//       The designers' loop (a Trunk hook): the bundled CSS, hls.js and public/ into Trunk's staging folder
//       ($TRUNK_STAGING_DIR).
//
// CSS: style/main.css lists the other files with `@import "file.css";`, inlined here in order.
// hls.js comes from node_modules (the version package-lock.json pins), never from a CDN.

import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const KEEP_BUILDS = 2; // the current bundle and the one before, for pages still open during a deploy
const COMPRESSIBLE = /\.(js|mjs|wasm|css|svg|json|html|txt|map)$/;
const HLS_JS = join(root, 'node_modules/hls.js/dist/hls.min.js');
// Starts the show's stream before the app has loaded (see the file).
const PLAYER_START_JS = join(root, 'src/hooks/use_hls/start.js');
// The viewers' bundle, and the console's (with the designers' gallery), each as wasm-bindgen writes it.
const BUNDLES = ['caravan', 'caravan_console'];
// What every viewer downloads before the page responds: the build fails past it, so the viewers' wasm cannot grow back
// unnoticed. Brotli bytes; lowered as each saving lands (the goal is 200 KB: docs/PERFORMANCE.md).
const VIEWER_WASM_BUDGET = 450_000;

function readHlsJs() {
  if (!existsSync(HLS_JS)) throw new Error('node_modules/hls.js is missing: run `npm ci` (./dev setup does)');
  return readFileSync(HLS_JS);
}

function bundleCss(file, seen = new Set()) {
  const path = resolve(file);
  if (seen.has(path)) throw new Error(`CSS import cycle at ${relative(root, path)}`);
  seen.add(path);
  const text = readFileSync(path, 'utf8');
  return text.replace(/^@import\s+(?:url\()?["']([^"']+)["']\)?\s*;\s*$/gm, (_, target) => {
    const imported = join(dirname(path), target);
    if (!existsSync(imported)) throw new Error(`${relative(root, path)} imports missing ${target}`);
    return `/* ${relative(root, imported)} */\n${bundleCss(imported, new Set(seen)).trim()}\n`;
  });
}

function filesUnder(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(path) : [path];
  });
}

function precompress(file) {
  const data = readFileSync(file);
  if (data.length < 256) return;
  writeFileSync(`${file}.br`, brotliCompressSync(data, {
    params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: data.length },
  }));
  writeFileSync(`${file}.gz`, gzipSync(data, { level: 9 }));
}

function pruneOldBuilds(pkgRoot, current) {
  const builds = readdirSync(pkgRoot)
    .filter((name) => name !== current)
    .map((name) => ({ name, mtime: statSync(join(pkgRoot, name)).mtimeMs }))
    .sort((a, b) => b.mtime - a.mtime);
  for (const old of builds.slice(KEEP_BUILDS - 1)) rmSync(join(pkgRoot, old.name), { recursive: true, force: true });
}

function buildSite(bindgenDir, siteDir) {
  const parts = {
    ...Object.fromEntries(
      BUNDLES.flatMap((name) => [`${name}.js`, `${name}_bg.wasm`]).map((file) => [file, readFileSync(join(bindgenDir, file))]),
    ),
    'caravan.css': Buffer.from(bundleCss(join(root, 'style/main.css'))),
    'hls.min.js': readHlsJs(),
    'player-start.js': readFileSync(PLAYER_START_JS),
  };
  const hash = createHash('sha256');
  for (const [name, data] of Object.entries(parts)) hash.update(name).update(data);
  const id = hash.digest('hex').slice(0, 16);

  const pkgRoot = join(siteDir, 'pkg');
  const pkg = join(pkgRoot, id);
  if (!existsSync(pkg)) {
    const staging = `${pkg}.partial`;
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging, { recursive: true });
    for (const [name, data] of Object.entries(parts)) {
      writeFileSync(join(staging, name), data);
      precompress(join(staging, name));
    }
    renameSync(staging, pkg);
  }

  // Checked before the build becomes current: a build over budget is never served.
  const viewerWasm = statSync(join(pkg, 'caravan_bg.wasm.br')).size;
  if (viewerWasm > VIEWER_WASM_BUDGET) {
    throw new Error(
      `the viewers' wasm is ${viewerWasm.toLocaleString('en')} B brotli, over its budget of ` +
        `${VIEWER_WASM_BUDGET.toLocaleString('en')} B: keep what viewers do not need at first out of it ` +
        '(docs/PERFORMANCE.md, "What a viewer downloads")',
    );
  }

  cpSync(join(root, 'public'), siteDir, { recursive: true });
  for (const file of filesUnder(join(root, 'public'))) {
    if (COMPRESSIBLE.test(file)) precompress(join(siteDir, relative(join(root, 'public'), file)));
  }

  const manifest = join(siteDir, 'manifest.json');
  writeFileSync(`${manifest}.tmp`, `${JSON.stringify({ pkg: `pkg/${id}` })}\n`);
  renameSync(`${manifest}.tmp`, manifest);
  pruneOldBuilds(pkgRoot, id);

  const sizes = Object.keys(parts).map((name) => {
    const size = (suffix) => statSync(join(pkg, name + suffix)).size.toLocaleString('en');
    return `${name} ${size('')} B (br ${size('.br')} B)`;
  });
  console.log(`site: ${relative(root, pkg)}: ${sizes.join(', ')}`);
}

function buildTrunkStaging(stagingDir) {
  writeFileSync(join(stagingDir, 'caravan.css'), bundleCss(join(root, 'style/main.css')));
  writeFileSync(join(stagingDir, 'hls.min.js'), readHlsJs());
  cpSync(join(root, 'public'), stagingDir, { recursive: true });
}

const [command, ...args] = process.argv.slice(2);
try {
  if (command === 'site' && args.length === 2) buildSite(resolve(args[0]), resolve(args[1]));
  else if (command === 'trunk' && args.length === 0 && process.env.TRUNK_STAGING_DIR) {
    buildTrunkStaging(process.env.TRUNK_STAGING_DIR);
  }
  else {
    console.error('usage: build-site.mjs site <wasm-bindgen-dir> <site-dir> | trunk (from a Trunk hook)');
    process.exit(2);
  }
} catch (error) {
  console.error(`build-site: ${error.message}`);
  process.exit(1);
}
