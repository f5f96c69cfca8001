// Migration files are imported as text: esbuild's `text` loader in the build, a small transform
// plugin in vitest.config.ts for tests.
declare module '*.sql' {
  const sql: string;
  export default sql;
}
