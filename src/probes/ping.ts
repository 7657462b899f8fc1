/**
 * ping: ICMP echo, packet loss and round-trip average against warn/crit pairs (check_ping).
 * Uses a raw socket as root, so it works where no ping binary is installed.
 */
import { z } from 'zod';
import { duration } from '../core/schema.ts';
import { defineProbe } from './types.ts';

/** check_ping's `RTA,LOSS%` pair, e.g. `100,20%`: RTA in ms, loss in percent. */
export const rtaLoss = (description: string) =>
  z
    .string()
    .regex(/^\d+(\.\d+)?,\d+(\.\d+)?%$/, 'expected "RTA,LOSS%" like "100,20%" (ms and percent)')
    .transform((v) => {
      const [rta, loss] = v.split(',');
      return { rtaMs: Number(rta), lossPct: Number(loss!.replace('%', '')) };
    })
    .meta({ description });

export const schema = z.strictObject({
  packets: z.number().int().min(1).max(100).default(5).meta({ description: 'echo requests to send' }),
  packet_interval: duration('time between echo requests').prefault('200ms'),
  warning: rtaLoss('WARNING when RTA (ms) or loss (%) reaches this').prefault('100,20%'),
  critical: rtaLoss('CRITICAL when RTA (ms) or loss (%) reaches this').prefault('500,60%'),
  method: z.enum(['auto', 'raw', 'binary']).default('auto').meta({ description: 'raw socket (root), the ping/fping binary, or auto' }),
});

export default defineProbe({
  type: 'ping',
  summary: 'ICMP echo: packet loss and round-trip average (like check_ping)',
  schema,
  shortFlags: { packets: 'P', warning: 'w', critical: 'c' },
  async run() {
    throw new Error('ping probe: not implemented yet');
  },
});
