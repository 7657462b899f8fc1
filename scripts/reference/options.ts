/**
 * A member's options as a Markdown table, read from its zod schema through the JSON Schema that
 * `mamoru config schema` prints (z.toJSONSchema, input side): so the page says exactly what the
 * config loader accepts, with the bounds and defaults living in the schema. Nested objects are
 * listed with dotted keys (`rate_limit.max_runs`).
 */
import { z } from 'zod';
import { formatDuration } from '../../src/core/duration.ts';

type Json = Record<string, any>;

export interface OptionRow {
  key: string;
  type: string;
  required: boolean;
  default?: unknown;
  bounds: string[];
  description: string;
}

/** The JSON Schema of a member's options, as the config file sees them. */
export function jsonSchemaOf(schema: z.ZodType): Json {
  return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Json;
}

/** A duration is a number of seconds or a text matching its range's pattern (core/schema.ts). */
function isDuration(s: Json): boolean {
  const any = s.anyOf as Json[] | undefined;
  return !!any && any.length === 2 && any[0]?.type === 'number' && any[1]?.type === 'string' && typeof any[1]?.pattern === 'string';
}

function typeOf(s: Json): string {
  if (isDuration(s)) return 'duration';
  if (s.const !== undefined) return JSON.stringify(s.const);
  if (Array.isArray(s.enum)) return s.enum.map((v: unknown) => JSON.stringify(v)).join(' \\| ');
  if (s.anyOf || s.oneOf) return ((s.anyOf ?? s.oneOf) as Json[]).map(typeOf).filter((t, i, all) => all.indexOf(t) === i).join(' or ');
  if (Array.isArray(s.type)) return s.type.join(' or ');
  if (s.type === 'array') return `list of ${s.items ? typeOf(s.items) : 'any'}`;
  if (s.type === 'object' && s.additionalProperties && typeof s.additionalProperties === 'object') return `map of ${typeOf(s.additionalProperties)}`;
  return s.type ?? 'any';
}

/** Numbers past this are "no bound" in practice (zod's int() writes Number.MAX_SAFE_INTEGER). */
const NO_BOUND = Number.MAX_SAFE_INTEGER;

function boundsOf(s: Json): string[] {
  if (isDuration(s)) return [];
  const out: string[] = [];
  const num = (k: string, word: string) => {
    if (typeof s[k] === 'number' && Math.abs(s[k]) < NO_BOUND) out.push(`${word} ${s[k]}`);
  };
  num('minimum', '≥');
  num('exclusiveMinimum', '>');
  num('maximum', '≤');
  num('exclusiveMaximum', '<');
  num('minLength', 'length ≥');
  num('maxLength', 'length ≤');
  num('minItems', 'items ≥');
  num('maxItems', 'items ≤');
  // Patterns short enough to read; the long generated ones are worded in the description.
  if (typeof s.pattern === 'string' && s.pattern.length <= 60) out.push(`pattern \`${s.pattern}\``);
  if (s.type === 'array' && s.items) for (const b of boundsOf(s.items)) out.push(`each ${b}`);
  return out;
}

/** Rows for every option of an object schema, nested objects flattened with dotted keys. */
export function optionRows(js: Json, prefix = ''): OptionRow[] {
  const props = (js.properties ?? {}) as Record<string, Json>;
  const required = new Set<string>((js.required as string[] | undefined) ?? []);
  const rows: OptionRow[] = [];
  for (const [name, s] of Object.entries(props)) {
    const key = prefix + name;
    const row: OptionRow = {
      key,
      type: s.type === 'object' && s.properties ? 'object' : typeOf(s),
      required: required.has(name) && s.default === undefined,
      bounds: boundsOf(s),
      description: String(s.description ?? ''),
    };
    if (s.default !== undefined) row.default = s.default;
    rows.push(row);
    if (s.type === 'object' && s.properties) rows.push(...optionRows(s, `${key}.`));
  }
  return rows;
}

/**
 * Defaults the JSON Schema leaves out: a `.default()` given as the parsed value (a duration's
 * milliseconds) belongs to the output side, so the input side does not show it. Read from the
 * zod schema itself and written as the config would (`10s`).
 */
export function zodDefaults(schema: z.ZodObject, rows: OptionRow[], prefix = ''): OptionRow[] {
  for (const [name, field] of Object.entries(schema.shape)) {
    const row = rows.find((r) => r.key === prefix + name);
    let s: any = field;
    let value: unknown;
    for (let def = s?._zod?.def; def && ['optional', 'default', 'prefault', 'nullable'].includes(def.type); def = s?._zod?.def) {
      if (def.type === 'default' && value === undefined) value = def.defaultValue;
      s = def.innerType;
    }
    if (row && row.default === undefined && value !== undefined) {
      row.default = row.type === 'duration' && typeof value === 'number' ? formatDuration(value) : value;
      row.required = false;
    }
    if (s?._zod?.def?.type === 'object') zodDefaults(s, rows, `${prefix}${name}.`);
  }
  return rows;
}

/** Text for a table cell: one line, pipes escaped. */
export function cell(text: string): string {
  return text.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|').trim();
}

function defaultText(r: OptionRow): string {
  const v = r.default;
  if (v === undefined) return '';
  if (r.type === 'object' && typeof v === 'object' && v !== null && Object.keys(v).length === 0) return '`{}` (each key its default)';
  return `\`${cell(JSON.stringify(v))}\``;
}

/** The options table, or a sentence when the member takes none. */
export function optionsTable(rows: OptionRow[], none = 'This member takes no options.'): string {
  if (rows.length === 0) return none;
  const lines = ['| option | type | required | default | bounds | description |', '|---|---|---|---|---|---|'];
  for (const r of rows)
    lines.push(`| \`${r.key}\` | ${cell(r.type)} | ${r.required ? 'yes' : 'no'} | ${defaultText(r)} | ${cell(r.bounds.join(', '))} | ${cell(r.description)} |`);
  return lines.join('\n');
}
