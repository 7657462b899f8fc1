/**
 * Reads a plugin's zod options schema as command-line flags: kind, description, default,
 * so `mamoru check <type> --help` is generated from the same schema the config file uses.
 */
import { z } from 'zod';

export type FieldKind = 'number' | 'string' | 'boolean' | 'array' | 'record' | 'enum' | 'duration' | 'other';

export interface FieldInfo {
  key: string;
  kind: FieldKind;
  /** For arrays: the kind of their items. */
  itemKind?: FieldKind;
  description?: string;
  defaultValue?: unknown;
  values?: string[];
  required: boolean;
}

function meta(s: any): Record<string, unknown> | undefined {
  return z.globalRegistry.get(s) as Record<string, unknown> | undefined;
}

function baseKind(s: any): { kind: FieldKind; itemKind?: FieldKind; values?: string[] } {
  const def = s?._zod?.def;
  switch (def?.type) {
    case 'number':
      return { kind: 'number' };
    case 'string':
      return { kind: 'string' };
    case 'boolean':
      return { kind: 'boolean' };
    case 'enum':
      return { kind: 'enum', values: Object.values(def.entries).map(String) };
    case 'record':
      return { kind: 'record' };
    case 'array':
      return { kind: 'array', itemKind: baseKind(unwrap(def.element).schema).kind };
    case 'union':
      // Durations accept a number or a string; both come in from the CLI as text.
      return { kind: 'duration' };
    default:
      return { kind: 'other' };
  }
}

function unwrap(s: any): { schema: any; description?: string; defaultValue?: unknown; required: boolean } {
  let description = meta(s)?.description as string | undefined;
  let defaultValue: unknown;
  let required = true;
  for (;;) {
    const def = s?._zod?.def;
    if (!def) break;
    if (def.type === 'optional') required = false;
    else if (def.type === 'default' || def.type === 'prefault') {
      required = false;
      defaultValue = typeof def.defaultValue === 'function' ? def.defaultValue() : def.defaultValue;
    } else if (def.type === 'pipe') {
      s = def.in;
      description ??= meta(s)?.description as string | undefined;
      continue;
    } else break;
    s = def.innerType;
    description ??= meta(s)?.description as string | undefined;
  }
  return { schema: s, required, ...(description ? { description } : {}), ...(defaultValue !== undefined ? { defaultValue } : {}) };
}

export function fieldsOf(schema: z.ZodObject): FieldInfo[] {
  return Object.entries(schema.shape).map(([key, s]) => {
    const u = unwrap(s);
    return { key, required: u.required, ...baseKind(u.schema), ...(u.description ? { description: u.description } : {}), ...(u.defaultValue !== undefined ? { defaultValue: u.defaultValue } : {}) };
  });
}

/** Converts flag text to what the schema expects; leaves text that does not convert for zod to report. */
export function fromFlag(kind: FieldKind | undefined, text: string): unknown {
  if (kind === 'number') {
    const n = Number(text);
    return text.trim() !== '' && Number.isFinite(n) ? n : text;
  }
  if (kind === 'boolean') return text === 'true' || text === '' ? true : text === 'false' ? false : text;
  return text;
}
