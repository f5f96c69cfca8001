/**
 * Bundles a TypeScript entry so a test can run it in a real child process with plain `node`
 * (vitest transpiles only inside its own workers; a crash test needs a process it can kill -9).
 *
 * The output goes to a fresh temporary directory under `node_modules/.cache/` rather than the
 * OS temp dir: packages stay external (`packages: 'external'`), and Node resolves them from the
 * bundle's own location upward, which only finds this repository's node_modules from inside
 * it. Each call makes a new directory, so concurrent tests never share or clobber a bundle.
 */
import { mkdir, mkdtemp } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const bundlesRoot = join(repoRoot, 'node_modules', '.cache', 'gatehouse-test-bundles');

/** Bundles `entryTsPath` (absolute, or relative to the repo root); returns the `.mjs` path. */
export async function bundleEntry(entryTsPath: string): Promise<string> {
  const entry = resolve(repoRoot, entryTsPath);
  await mkdir(bundlesRoot, { recursive: true });
  const dir = await mkdtemp(join(bundlesRoot, `${basename(entry, '.ts')}-`));
  const outfile = join(dir, `${basename(entry, '.ts')}.mjs`);
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    target: 'node20',
    sourcemap: 'inline',
    logLevel: 'silent',
  });
  return outfile;
}
