// Builds the two bins and the web app into dist/. `--if-needed` skips the build when every
// output is newer than every source file (so `npm start` is quick the second time).
import { build } from 'esbuild';
import { cp, mkdir, readdir, stat, chmod } from 'node:fs/promises';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const sourceDirs = ['protocol', 'gateway', 'recorder', 'server', 'agent', 'cli', 'web', 'bin', 'scripts'];

async function newestMtime(dir) {
  let newest = 0;
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? await newestMtime(p) : (await stat(p)).mtimeMs);
  }
  return newest;
}

async function upToDate() {
  const outputs = ['gatehouse.js', 'gate.js', 'web/app.js', 'web/index.html'].map((f) => join(dist, f));
  let oldestOut = Infinity;
  for (const o of outputs) {
    try {
      oldestOut = Math.min(oldestOut, (await stat(o)).mtimeMs);
    } catch {
      return false;
    }
  }
  let newestIn = (await stat(join(root, 'package.json'))).mtimeMs;
  for (const d of sourceDirs) newestIn = Math.max(newestIn, await newestMtime(join(root, d)));
  return newestIn < oldestOut;
}

if (process.argv.includes('--if-needed') && (await upToDate())) process.exit(0);

const node = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  packages: 'external',
  sourcemap: true,
  banner: { js: '#!/usr/bin/env node' },
  logLevel: 'warning',
  loader: { '.sql': 'text' },
};
await mkdir(join(dist, 'web'), { recursive: true });
await Promise.all([
  // One build with code splitting: `gatehouse agent` loads only the agent's chunk, not the
  // appliance's (sqlite3, fastify, xterm), so agents start fast and small.
  build({
    ...node,
    entryPoints: { gatehouse: join(root, 'bin/gatehouse.ts'), gate: join(root, 'bin/gate.ts') },
    outdir: dist,
    splitting: true,
    // Chunks are content-hashed and never deleted here: a test may be running a service from
    // the previous build while another rebuilds.
    chunkNames: 'chunks/[name]-[hash]',
  }),
  build({
    bundle: true,
    platform: 'browser',
    target: 'es2022',
    format: 'esm',
    sourcemap: true,
    minify: true,
    entryPoints: [join(root, 'web/app.ts')],
    outfile: join(dist, 'web/app.js'),
    logLevel: 'warning',
  }),
]);
await chmod(join(dist, 'gatehouse.js'), 0o755);
await chmod(join(dist, 'gate.js'), 0o755);

// Static assets: our pages and styles, xterm's stylesheet, the asciinema player bundle.
const nm = join(root, 'node_modules');
const copies = [
  [join(root, 'web/index.html'), join(dist, 'web/index.html')],
  [join(root, 'web/styles.css'), join(dist, 'web/styles.css')],
  [join(nm, '@xterm/xterm/css/xterm.css'), join(dist, 'web/vendor/xterm.css')],
  [join(nm, 'asciinema-player/dist/bundle/asciinema-player.css'), join(dist, 'web/vendor/asciinema-player.css')],
  [join(nm, 'asciinema-player/dist/bundle/asciinema-player.min.js'), join(dist, 'web/vendor/asciinema-player.min.js')],
];
for (const [from, to] of copies) {
  await mkdir(dirname(to), { recursive: true });
  await cp(from, to);
}
