// Builds the browser app into web/dist:
//   1. buf generate: TypeScript clients from ../proto into src/gen (never committed)
//   2. tsc --noEmit: the strict type check; the build stops on any error
//   3. esbuild: src/main.tsx (and the CSS it imports) -> dist/assets/app-[hash].{js,css}
//   4. dist/index.html from src/index.html, naming the hashed files
//   5. .gz and .br siblings of every js, css, html and svg file, for the gateway to serve
// Usage: node scripts/build.mjs  (from anywhere; paths are relative to web/)
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { brotliCompressSync, constants as zlibConstants, gzipSync } from "node:zlib";
import * as esbuild from "esbuild";

const web = join(dirname(fileURLToPath(import.meta.url)), "..");
const dist = join(web, "dist");
const bin = join(web, "node_modules", ".bin");

function step(name) {
  console.log(`build: ${name}`);
}

function run(cmd, args) {
  const r = spawnSync(join(bin, cmd), args, { cwd: web, stdio: "inherit" });
  if (r.error) {
    console.error(`build: could not run ${cmd}: ${r.error.message}; run npm ci in web/ first`);
    process.exit(1);
  }
  if (r.status !== 0) {
    console.error(`build: ${cmd} ${args.join(" ")} failed (exit ${r.status}); see its output above`);
    process.exit(r.status ?? 1);
  }
}

step("buf generate (proto -> src/gen)");
run("buf", ["generate"]);

step("tsc --noEmit (strict type check)");
run("tsc", ["--noEmit", "-p", "tsconfig.json"]);

step("esbuild (bundle, minify, hash)");
rmSync(dist, { recursive: true, force: true });
mkdirSync(join(dist, "assets"), { recursive: true });
const result = await esbuild.build({
  absWorkingDir: web,
  entryPoints: { app: "src/main.tsx" },
  bundle: true,
  minify: true,
  format: "esm",
  target: ["es2020", "chrome100", "firefox100", "safari15"],
  outdir: "dist/assets",
  entryNames: "[name]-[hash]",
  assetNames: "[name]-[hash]",
  jsx: "automatic",
  jsxImportSource: "preact",
  define: { "process.env.NODE_ENV": '"production"' },
  legalComments: "eof",
  metafile: true,
  logLevel: "warning",
});
const outputs = Object.keys(result.metafile.outputs);
const js = outputs.find((p) => /\/app-[^/]+\.js$/.test(p));
const css = outputs.find((p) => /\/app-[^/]+\.css$/.test(p));
if (!js || !css) {
  console.error(`build: esbuild produced no app js/css (outputs: ${outputs.join(", ")})`);
  process.exit(1);
}
const url = (p) => `/${relative(dist, join(web, p)).split("\\").join("/")}`;

step("index.html");
const template = readFileSync(join(web, "src", "index.html"), "utf8");
if (/<script(?![^>]*\bsrc=)[^>]*>/i.test(template) || /\sstyle=/i.test(template) || /<style/i.test(template)) {
  console.error("build: src/index.html has an inline script or style; the CSP forbids both");
  process.exit(1);
}
writeFileSync(join(dist, "index.html"), template.replace("%APP_JS%", url(js)).replace("%APP_CSS%", url(css)));
copyFileSync(join(web, "src", "favicon.svg"), join(dist, "favicon.svg"));

step("precompress (.gz, .br)");
function* files(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* files(p);
    else yield p;
  }
}
for (const f of [...files(dist)]) {
  if (!/\.(js|css|html|svg)$/.test(f)) continue;
  const data = readFileSync(f);
  writeFileSync(`${f}.gz`, gzipSync(data, { level: 9 }));
  writeFileSync(
    `${f}.br`,
    brotliCompressSync(data, {
      params: {
        [zlibConstants.BROTLI_PARAM_QUALITY]: 11,
        [zlibConstants.BROTLI_PARAM_SIZE_HINT]: data.length,
      },
    }),
  );
}
for (const f of files(dist)) {
  console.log(`  ${relative(web, f).padEnd(48)} ${statSync(f).size} bytes`);
}
step("done");
