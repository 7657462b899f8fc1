/** The log source registry: the guard's config schema, the CLI help and the docs derive from this list. */
import type { SourceDefinition } from './types.ts';
import file from './file.ts';
import journald from './journald.ts';

export const sources = {
  file,
  journald,
} satisfies Record<string, SourceDefinition<any>>;

export type SourceType = keyof typeof sources;
export type { SourceDefinition, Source, SourceContext, LineBatch, LineMeta } from './types.ts';
export { SourceError } from './types.ts';
