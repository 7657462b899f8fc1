/**
 * The console's static files besides the style sheet: its two scripts (this folder) and uPlot,
 * served from the installed npm package (never a CDN). Read once, on first use; the same path
 * works from src/ under tsx and from dist/ (the package ships src/).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const here = (name: string) => fileURLToPath(new URL(`../../../src/web/static/${name}`, import.meta.url));
const JS = 'text/javascript; charset=utf-8';

/** URL name → where it is read from and what it is. */
export const STATIC_FILES: Record<string, { path: () => string; type: string; summary: string }> = {
  'live.js': { path: () => here('live.js'), type: JS, summary: 'The live-update script (one event stream per tab)' },
  'plot.js': { path: () => here('plot.js'), type: JS, summary: 'The response-time plot script' },
  'uplot.js': { path: () => require.resolve('uplot/dist/uPlot.iife.min.js'), type: JS, summary: 'uPlot, from its npm package' },
  'uplot.css': { path: () => require.resolve('uplot/dist/uPlot.min.css'), type: 'text/css; charset=utf-8', summary: 'uPlot\'s style sheet, from its npm package' },
};

const cache = new Map<string, { body: string; type: string }>();

export function staticFile(name: string): { body: string; type: string } {
  let f = cache.get(name);
  if (!f) {
    const def = STATIC_FILES[name]!;
    f = { body: readFileSync(def.path(), 'utf8'), type: def.type };
    cache.set(name, f);
  }
  return f;
}
