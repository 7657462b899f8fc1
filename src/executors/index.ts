/** The executor registry: targets' config schema, the CLI help and the docs derive from this list. */
import type { ExecutorDefinition } from './types.ts';
import local from './local.ts';
import ssh from './ssh.ts';

export const executors = {
  local,
  ssh,
} satisfies Record<string, ExecutorDefinition<any>>;

export type ExecutorType = keyof typeof executors;
export type { Executor, ExecutorDefinition, ExecutorContext, RunOptions, RunResult, ReadFileOptions } from './types.ts';
export { ExecutorError } from './types.ts';
