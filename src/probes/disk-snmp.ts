/**
 * disk-snmp: used space of a server's filesystems read over SNMP (HOST-RESOURCES-MIB
 * hrStorageTable), in the local disk probe's text form: `DISK CRITICAL [Disk use 90% /] ...`.
 *
 * hrStorage has no inode counts, so there is no `[Inum use ...]` part and no inode threshold:
 * inodes need the local probe (or check_disk) on the server. Used percent is hrStorageUsed over
 * hrStorageSize, so blocks reserved for root count as free (df's Use% counts them as used).
 */
import { z } from 'zod';
import { NagiosState, stateName } from '../core/nagios.ts';
import { outcome } from '../core/result.ts';
import { snmpColumns, SnmpFailure, type Varbind } from './snmp-client.ts';
import { describeFailure } from './snmp-errors.ts';
import { checkConnection, connectionShape, snmpTarget } from './snmp-options.ts';
import { diskReport } from './disk-report.ts';
import { defineProbe } from './types.ts';

const percent = (description: string) => z.number().min(0).max(100).meta({ description });

export const schema = z
  .strictObject({
    path: z.array(z.string().min(1)).optional().meta({ description: 'mount points to check, as the agent names them in hrStorageDescr (default: every fixed, removable and flash disk)' }),
    warning: percent('WARNING when used space reaches this percent').default(80),
    critical: percent('CRITICAL when used space reaches this percent').default(90),
    ...connectionShape,
  })
  .superRefine(checkConnection);

// HOST-RESOURCES-MIB hrStorageEntry columns and storage types.
const HR_STORAGE_ENTRY = '1.3.6.1.2.1.25.2.3.1';
const COLUMNS = { type: `${HR_STORAGE_ENTRY}.2`, descr: `${HR_STORAGE_ENTRY}.3`, units: `${HR_STORAGE_ENTRY}.4`, size: `${HR_STORAGE_ENTRY}.5`, used: `${HR_STORAGE_ENTRY}.6` };
const HR_STORAGE_TYPES = '1.3.6.1.2.1.25.2.1';
/** Disk-like storage: hrStorageFixedDisk, RemovableDisk, FlashMemory (not RAM, swap, CDs or network disks). */
const DEFAULT_TYPES = new Set([`${HR_STORAGE_TYPES}.4`, `${HR_STORAGE_TYPES}.5`, `${HR_STORAGE_TYPES}.9`]);

interface Storage {
  descr: string;
  type: string;
  usedBytes: number;
  totalBytes: number;
  usedPct: number;
}

function num(vb: Varbind | undefined): number | undefined {
  return vb?.value.kind === 'number' ? vb.value.value : undefined;
}

function storages(cols: Map<string, Varbind>[]): Storage[] {
  const [types, descrs, units, sizes, useds] = cols as [Map<string, Varbind>, Map<string, Varbind>, Map<string, Varbind>, Map<string, Varbind>, Map<string, Varbind>];
  const out: Storage[] = [];
  for (const [index, d] of descrs) {
    const unit = num(units.get(index));
    const size = num(sizes.get(index));
    const used = num(useds.get(index));
    // A row without numbers (an agent that could not stat the filesystem) is not a measurement.
    if (unit === undefined || size === undefined || used === undefined) continue;
    const type = types.get(index)?.value.value;
    out.push({
      descr: String(d.value.value),
      type: typeof type === 'string' ? type : '',
      usedBytes: used * unit,
      totalBytes: size * unit,
      usedPct: size > 0 ? (used * 100) / size : 0,
    });
  }
  return out;
}

export default defineProbe({
  type: 'disk-snmp',
  summary: 'used space per filesystem over SNMP (HOST-RESOURCES-MIB hrStorageTable; no inodes there)',
  schema,
  shortFlags: { warning: 'w', critical: 'c', path: 'p', version: 'P', username: 'U', security_level: 'L', auth_protocol: 'a', priv_protocol: 'x', retries: 'e' },
  async run(target, o, ctx) {
    const t = snmpTarget(target.address, o, ctx);
    let all: Storage[];
    try {
      all = storages(await snmpColumns(t, [COLUMNS.type, COLUMNS.descr, COLUMNS.units, COLUMNS.size, COLUMNS.used], ctx.signal));
    } catch (e) {
      const f = e instanceof SnmpFailure ? e : new SnmpFailure('local', (e as Error).message);
      const d = describeFailure(f, t, ctx.timeoutMs);
      return outcome(d.state, `DISK ${stateName(d.state)} - ${d.text}`);
    }
    if (all.length === 0) return outcome(NagiosState.UNKNOWN, 'DISK UNKNOWN - the agent has no hrStorageTable (HOST-RESOURCES-MIB not served or not in its view)');
    let chosen: Storage[];
    if (o.path) {
      chosen = [];
      for (const p of o.path) {
        const s = all.find((x) => x.descr === p);
        // Like check_disk for a path that is not there: CRITICAL, and say which.
        if (!s) return outcome(NagiosState.CRITICAL, `DISK CRITICAL - ${p} is not in the agent's hrStorageTable (not mounted?)`);
        if (!chosen.includes(s)) chosen.push(s);
      }
    } else chosen = all.filter((s) => DEFAULT_TYPES.has(s.type));
    if (chosen.length === 0) return outcome(NagiosState.UNKNOWN, 'DISK UNKNOWN - no disk in the agent\'s hrStorageTable');
    return diskReport(
      chosen.map((s) => ({ name: s.descr, used: s.usedBytes, total: s.totalBytes, usedPct: s.usedPct })),
      o,
    );
  },
});
