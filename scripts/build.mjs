// Production build (`npm run build`, which `npm install` runs through `prepare`): src/ bundled by
// esbuild into dist/, so a start reads a few files instead of resolving, reading and compiling
// ~750 ES modules one by one (most of a compiled start's CPU went there: bench/startup).
//
//   node scripts/build.mjs [--outdir DIR]     (default dist/; a test builds into a temporary one)
//
// Layout: dist/mamoru.js holds the command line, and the other files of dist/ what it loads on
// demand: the bundle is split at each `await import()`, so a command still loads only what it
// needs (`mamoru check` does not load the daemon). dist/cli/main.js re-exports dist/mamoru.js:
// bin/mamoru.js imports it, and `node dist/cli/main.js start` runs as before.
//
// Every output file is directly in dist/ (but the store's writer thread, dist/store/result-worker.js, its
// own entry point, loaded by path), and each source file's `import.meta.url` is rewritten
// to the URL that file would have in a file-per-file build (src/daemon.ts: dist/daemon.js), so
// paths relative to a module (`new URL('../package.json', import.meta.url)`, createRequire) mean
// what they mean under tsx.
//
// Packages are bundled too (they were most of the load), except what must stay a real file in
// node_modules: native addons (better-sqlite3, raw-socket), packages that find their own files by
// path at run time (geoip-country's data, pino's worker transports), and those the sources load
// on first use with createRequire (esbuild does not follow those; listed so that a plain import
// would not pull them in either). Type checking is `npm run typecheck`; esbuild strips types.
//
// dist/build-started is written first and renamed to dist/build-stamp last: the stamp's time is
// when the build began, so bin/mamoru.js counts an edit made during the build as newer.
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const src = join(root, 'src');
const i = process.argv.indexOf('--outdir');
const outdir = i > 0 && process.argv[i + 1] ? resolve(process.argv[i + 1]) : join(root, 'dist');

const EXTERNAL = [
  'better-sqlite3',
  'raw-socket',
  'geoip-country',
  'pino',
  'pino-pretty',
  'mysql2',
  'net-snmp',
  'ssh2',
  'nodemailer',
  'tsx',
];

/** `import.meta.url` of src/a/b.ts becomes the URL of dist/a/b.js, computed from the output file. */
const moduleUrls = {
  name: 'module-urls',
  setup(b) {
    b.onLoad({ filter: /\.tsx?$/ }, (args) => {
      if (!args.path.startsWith(src)) return undefined;
      const text = readFileSync(args.path, 'utf8');
      if (!text.includes('import.meta.url')) return undefined;
      const rel = relative(src, args.path).split('\\').join('/').replace(/\.tsx?$/, '.js');
      return {
        contents: text.replaceAll('import.meta.url', `new URL(${JSON.stringify(rel)}, import.meta.url).href`),
        loader: args.path.endsWith('x') ? 'tsx' : 'ts',
      };
    });
  },
};

/**
 * zod's `z.locales` namespace brings its 64 languages (~370 KB, compiled at every start); mamoru
 * never switches zod's language (config/problems.ts words the problems itself), and zod sets its
 * English default from locales/en.js directly, so the namespace holds English only here.
 */
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) => {
      if (!/[\\/]zod[\\/]v4[\\/](classic[\\/]external|mini[\\/]external|core[\\/]index)\.js$/.test(args.importer)) return undefined;
      return { path: join(dirname(args.importer), '..', 'locales', 'index.js'), namespace: 'zod-locales' };
    });
    b.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (args) => ({ contents: "export { default as en } from './en.js';\n", resolveDir: dirname(args.path), loader: 'js' }));
  },
};

rmSync(outdir, { recursive: true, force: true });
mkdirSync(join(outdir, 'cli'), { recursive: true });
writeFileSync(join(outdir, 'build-started'), '');

await build({
  absWorkingDir: root,
  // The store's writer thread is started from its own file (src/store/result-sink.ts).
  entryPoints: { mamoru: 'src/cli/main.ts', 'store/result-worker': 'src/store/result-worker.ts' },
  outdir,
  chunkNames: '[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: EXTERNAL,
  jsx: 'automatic',
  jsxImportSource: 'hono/jsx',
  // Bundled CommonJS packages call require() for node's own modules: give each file a real one.
  banner: { js: "import { createRequire as __mamoruCreateRequire } from 'node:module';\nconst require = __mamoruCreateRequire(import.meta.url);" },
  sourcemap: 'linked', // stack traces in src/ terms with NODE_OPTIONS=--enable-source-maps
  sourcesContent: false, // the package ships src/ itself
  legalComments: 'none',
  logLevel: 'warning',
  plugins: [moduleUrls, zodEnglishOnly],
});

writeFileSync(join(outdir, 'cli', 'main.js'), "// The command line, bundled in ../mamoru.js (scripts/build.mjs).\nexport * from '../mamoru.js';\n");
renameSync(join(outdir, 'build-started'), join(outdir, 'build-stamp'));
