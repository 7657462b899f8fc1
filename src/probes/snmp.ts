/**
 * snmp: read one or more OIDs from an SNMP agent (GET, or one GETBULK per subtree) and judge the
 * values like check_snmp: Nagios ranges on numbers (`SNMP CRITICAL - *2345*` for a mail-queue
 * length over its threshold, the value over a threshold starred), an exact string or a regex on
 * text. Agent silent, wrong community, unknown v3 user, wrong password, an OID the agent does
 * not have, and text where a number is needed are each their own clear result.
 *
 * OIDs are numeric: mamoru loads no MIB files (Debian ships net-snmp without most of them).
 */
import { z } from 'zod';
import { NagiosState, stateName, worstState } from '../core/nagios.ts';
import type { PerfDatum } from '../core/perfdata.ts';
import { evaluate } from '../core/range.ts';
import { outcome, type ProbeOutcome } from '../core/result.ts';
import { nagiosRange, regex } from '../core/schema.ts';
import { snmpBulk, snmpGet, SnmpFailure, type SnmpTarget, type SnmpValue, type Varbind } from './snmp-client.ts';
import { describeFailure } from './snmp-errors.ts';
import { checkConnection, connectionShape, snmpTarget } from './snmp-options.ts';
import { excerpt } from './tcp-errors.ts';
import { defineProbe } from './types.ts';

const NUMERIC_OID = /^\.?[0-2](\.\d+)+$/;

const oid = z
  .string()
  .regex(NUMERIC_OID, 'expected a numeric OID like 1.3.6.1.2.1.1.3.0 (mamoru loads no MIBs, so names like sysUpTime.0 do not resolve)')
  .transform((s) => s.replace(/^\./, ''));


export const schema = z
  .strictObject({
    oid: z.array(oid).min(1).max(64).meta({ description: 'numeric OIDs to read (with method bulk: subtrees to read)' }),
    method: z.enum(['get', 'bulk']).default('get').meta({ description: 'get: exactly these OIDs; bulk: one GETBULK reading the values under each OID (v2c/v3)' }),
    max_repetitions: z.number().int().min(1).max(100).default(10).meta({ description: 'bulk: at most this many values under each OID' }),
    ...connectionShape,
    warning: nagiosRange('WARNING when a numeric value is outside this Nagios range (e.g. 100, 10:, @5:10)').optional(),
    critical: nagiosRange('CRITICAL when a numeric value is outside this Nagios range').optional(),
    expect: z.string().optional().meta({ description: 'CRITICAL unless the value is exactly this string (check_snmp -s)' }),
    regex: regex('CRITICAL unless the value matches this regular expression (check_snmp -r)').optional(),
    label: z.array(z.string().min(1)).optional().meta({ description: 'perfdata labels, one per OID (default: the OID)' }),
  })
  .superRefine((o, ctx) => {
    checkConnection(o, ctx);
    if (o.method === 'bulk' && o.version === '1') ctx.addIssue({ code: 'custom', path: ['method'], message: 'GETBULK needs SNMP v2c or v3' });
    if (o.label && o.label.length > o.oid.length) ctx.addIssue({ code: 'custom', path: ['label'], message: `${o.label.length} labels for ${o.oid.length} OIDs` });
  });

type Options = z.output<typeof schema>;

/** Texts longer than this are cut in the status line (an agent may return kilobytes). */
const MAX_SHOWN = 200;
const NUMBER_TEXT = /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/;

interface Judged {
  state: NagiosState;
  shown: string;
  perf?: PerfDatum;
}

/**
 * One value against the options. Numbers (and text that is a number, like an `extend`'s output
 * line) meet the ranges; a threshold on text that is not a number is UNKNOWN, never a guess.
 */
function judge(vb: Varbind, label: string, o: Options): Judged {
  const v: SnmpValue = vb.value;
  if (v.kind === 'missing') return { state: NagiosState.UNKNOWN, shown: `${vb.oid}: ${v.value}` };
  const thresholds = o.warning !== undefined || o.critical !== undefined;
  const text = v.kind === 'string' ? v.value : String(v.value);
  let state: NagiosState = NagiosState.OK;
  let number: number | undefined = v.kind === 'number' ? v.value : undefined;
  if (thresholds && number === undefined) {
    if (!NUMBER_TEXT.test(text)) {
      return { state: NagiosState.UNKNOWN, shown: `${vb.oid} is a ${v.type}, not a number: "${excerpt(text, MAX_SHOWN)}" (warning/critical need a number)` };
    }
    number = Number(text);
  }
  if (number !== undefined && thresholds) state = evaluate(number, { warning: o.warning, critical: o.critical });
  if (o.expect !== undefined && text !== o.expect) state = worstState(state, NagiosState.CRITICAL);
  if (o.regex !== undefined && !new RegExp(o.regex).test(text)) state = worstState(state, NagiosState.CRITICAL);
  // check_snmp shows text in quotes and numbers (also text read as a number) bare.
  const bare = number !== undefined ? String(number) : `"${excerpt(text, MAX_SHOWN)}"`;
  const perf: PerfDatum | undefined = number !== undefined ? { label, value: number, unit: v.type === 'Counter32' || v.type === 'Counter64' ? 'c' : '', warn: o.warning, crit: o.critical } : undefined;
  return { state, shown: state !== NagiosState.OK ? `*${bare}*` : bare, ...(perf ? { perf } : {}) };
}

async function read(t: SnmpTarget, o: Options, signal: AbortSignal): Promise<{ vb: Varbind; label: string }[] | ProbeOutcome> {
  const labelOf = (i: number) => o.label?.[i];
  if (o.method === 'get') {
    const values = await snmpGet(t, o.oid, signal);
    return values.map((vb, i) => ({ vb, label: labelOf(i) ?? vb.oid }));
  }
  const columns = await snmpBulk(t, o.oid, o.max_repetitions, signal);
  const empty = o.oid.filter((_, i) => columns[i]!.length === 0);
  if (empty.length > 0) {
    return outcome(NagiosState.UNKNOWN, `SNMP UNKNOWN - nothing under ${empty.join(', ')} on this agent (GETBULK returned no value inside the subtree)`);
  }
  return columns.flatMap((list, i) => list.map((vb) => ({ vb, label: labelOf(i) ? `${labelOf(i)}${vb.oid.slice(o.oid[i]!.length)}` : vb.oid })));
}

export default defineProbe({
  type: 'snmp',
  summary: 'values of SNMP OIDs (get or bulk, v1/v2c/v3) against ranges or strings (like check_snmp)',
  schema,
  shortFlags: { oid: 'o', warning: 'w', critical: 'c', port: 'p', version: 'P', username: 'U', security_level: 'L', auth_protocol: 'a', priv_protocol: 'x', expect: 's', regex: 'r', retries: 'e' },
  async run(target, o, ctx) {
    const t = snmpTarget(target.address, o, ctx);
    let values: { vb: Varbind; label: string }[] | ProbeOutcome;
    try {
      values = await read(t, o, ctx.signal);
    } catch (e) {
      const f = e instanceof SnmpFailure ? e : new SnmpFailure('local', (e as Error).message);
      const d = describeFailure(f, t, ctx.timeoutMs);
      return outcome(d.state, `SNMP ${stateName(d.state)} - ${d.text}`);
    }
    if (!Array.isArray(values)) return values;
    const judged = values.map(({ vb, label }) => judge(vb, label, o));
    const state = worstState(...judged.map((j) => j.state));
    const perfdata = judged.flatMap((j) => (j.perf ? [j.perf] : []));
    return outcome(state, `SNMP ${stateName(state)} - ${judged.map((j) => j.shown).join(' ')}`, perfdata);
  },
});
