// Loads project TypeScript into a bench without a build step: esbuild bundles a small entry
// (re-exports of the modules the bench needs) into a temp dir, the way scripts/build.mjs builds
// dist/ (ESM, node20, packages external, .sql as text), and the bench imports it. The temp dir
// gets a `node_modules` symlink to the repository's, so the external packages (sqlite3,
// node-pty, @xterm/headless, …) resolve to the very same module instances the bench imports.
// Nothing is written inside the repository.
import { build } from 'esbuild';
import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from './gatehouse.mjs';

/**
 * Bundles `source` (TypeScript; relative imports resolve from `root`, by default the repository,
 * e.g. `export { openStore } from './server/store/store'`) into `dir/lab.mjs` and imports it.
 * Another `root` (a scratch copy of the sources with an experiment) must have the same layout;
 * packages still come from the repository's node_modules.
 */
export async function importProjectCode(source, dir, { root = repoRoot } = {}) {
  const outfile = join(dir, 'lab.mjs');
  await build({
    stdin: { contents: source, resolveDir: root, sourcefile: 'bench-entry.ts', loader: 'ts' },
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    packages: 'external',
    loader: { '.sql': 'text' },
    outfile,
    logLevel: 'warning',
  });
  symlinkSync(join(repoRoot, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return import(pathToFileURL(outfile).href);
}
