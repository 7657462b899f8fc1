/**
 * nagios-plugin: run any Nagios plugin as an argv array (never a shell string), parse its text,
 * long output and perfdata, and map its exit code (anything but 0..3 is UNKNOWN).
 */
import { z } from 'zod';
import { defineProbe } from './types.ts';

export const schema = z.strictObject({
  command: z.array(z.string()).min(1, 'expected the plugin and its arguments, e.g. ["/usr/lib/nagios/plugins/check_tcp", "-H", "$ADDRESS", "-p", "80"]').meta({
    description: 'the plugin and its arguments as a list; "$ADDRESS" and "$NAME" are replaced by the target\'s',
  }),
  env: z.record(z.string(), z.string()).default({}).meta({ description: 'extra environment variables' }),
  max_output: z.number().int().min(1024).default(65536).meta({ description: 'bytes of output kept; the rest is cut' }),
});

export default defineProbe({
  type: 'nagios-plugin',
  summary: 'run any Nagios plugin (argv, timeout, output and perfdata parsed)',
  schema,
  positional: 'command',
  async run() {
    throw new Error('nagios-plugin probe: not implemented yet');
  },
});
