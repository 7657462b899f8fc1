/**
 * A heap snapshot (`v8.writeHeapSnapshot`) summed per constructor: count and self (shallow) size,
 * largest first. The file is read as a stream and only the node table and the strings are kept,
 * because a snapshot of a 100,000-check daemon is larger than the longest string V8 can parse at
 * once. Self size, not retained size: summing by constructor needs no dominator tree, and with
 * counts per configured check it names what each check costs.
 */
import { createReadStream } from 'node:fs';

export interface ConstructorRow {
  name: string;
  count: number;
  bytes: number;
}

/** Reads `file` and returns the top `top` rows by self size, and the totals. */
export async function summariseSnapshot(file: string, top = 25): Promise<{ nodes: number; bytes: number; rows: ConstructorRow[] }> {
  const MARK = '"nodes":[';
  let head = '';
  let phase: 'head' | 'nodes' | 'skip' | 'strings' | 'done' = 'head';
  let meta: { node_fields: string[]; node_types: [string[]] } | undefined;
  // Per node: type, name (a string index), self size; grown by doubling.
  let kept = new Float64Array(3 << 20);
  let count = 0;
  let field = 0;
  let value = 0;
  let digits = false;
  let fType = 0;
  let fName = 1;
  let fSize = 3;
  let width = 7;
  const row = new Float64Array(3);
  const strings: string[] = [];
  let str = '';
  let inStr = false;
  let esc = false;
  for await (const chunk of createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 }) as AsyncIterable<string>) {
    let i = 0;
    while (i < chunk.length && phase !== 'done') {
      if (phase === 'head') {
        const before = head.length;
        head += chunk.slice(i);
        const at = head.indexOf(MARK);
        if (at < 0) {
          i = chunk.length;
          continue;
        }
        const json = head.slice(0, at).replace(/,\s*$/, '');
        meta = (JSON.parse(`${json}}`) as { snapshot: { meta: NonNullable<typeof meta> } }).snapshot.meta;
        width = meta.node_fields.length;
        fType = meta.node_fields.indexOf('type');
        fName = meta.node_fields.indexOf('name');
        fSize = meta.node_fields.indexOf('self_size');
        i += at + MARK.length - before;
        head = '';
        phase = 'nodes';
        continue;
      }
      if (phase === 'nodes') {
        const c = chunk.charCodeAt(i++);
        if (c >= 48 && c <= 57) {
          value = value * 10 + (c - 48);
          digits = true;
          continue;
        }
        if (digits) {
          if (field === fType) row[0] = value;
          else if (field === fName) row[1] = value;
          else if (field === fSize) row[2] = value;
          if (++field === width) {
            if ((count + 1) * 3 > kept.length) {
              const grown = new Float64Array(kept.length * 2);
              grown.set(kept);
              kept = grown;
            }
            kept.set(row, count * 3);
            count++;
            field = 0;
          }
          value = 0;
          digits = false;
        }
        if (c === 93) phase = 'skip'; // ]
        continue;
      }
      if (phase === 'skip') {
        const at = chunk.indexOf('"strings":[', i);
        // The marker splitting across two 1 MiB chunks is left unhandled: the summary then has no names.
        if (at < 0) {
          i = chunk.length;
          continue;
        }
        i = at + '"strings":['.length;
        phase = 'strings';
        continue;
      }
      // strings: JSON string literals separated by commas, until ].
      const c = chunk[i++]!;
      if (inStr) {
        if (esc) {
          str += c;
          esc = false;
        } else if (c === '\\') {
          str += c;
          esc = true;
        } else if (c === '"') {
          inStr = false;
          try {
            strings.push(JSON.parse(`"${str}"`) as string);
          } catch {
            strings.push(str);
          }
          str = '';
        } else str += c;
      } else if (c === '"') inStr = true;
      else if (c === ']') phase = 'done';
    }
  }
  if (!meta) throw new Error(`${file}: not a heap snapshot`);
  const types = meta.node_types[0];
  const by = new Map<string, ConstructorRow>();
  let total = 0;
  for (let n = 0; n < count; n++) {
    const type = types[kept[n * 3]!]!;
    const size = kept[n * 3 + 2]!;
    total += size;
    // Objects and closures by their constructor or function name; everything else by its kind.
    const name = type === 'object' || type === 'closure' ? `${strings[kept[n * 3 + 1]!] ?? '?'}${type === 'closure' ? '()' : ''}` : `(${type})`;
    const r = by.get(name);
    if (r) {
      r.count++;
      r.bytes += size;
    } else by.set(name, { name, count: 1, bytes: size });
  }
  return { nodes: count, bytes: total, rows: [...by.values()].sort((a, b) => b.bytes - a.bytes).slice(0, top) };
}
