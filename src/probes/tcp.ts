/**
 * tcp: connect to a port, time it, optionally send a string and expect a reply (check_tcp).
 * Refused and timed-out are distinct outcomes with the words operators know.
 */
import { z } from 'zod';
import { port, seconds } from '../core/schema.ts';
import { defineProbe } from './types.ts';

export const schema = z.strictObject({
  port: port().meta({ description: 'TCP port to connect to' }),
  send: z.string().optional().meta({ description: 'string to send after connecting' }),
  expect: z.string().optional().meta({ description: 'string the reply must contain' }),
  tls: z.boolean().default(false).meta({ description: 'connect with TLS' }),
  warning: seconds('response time above which the state is WARNING').optional(),
  critical: seconds('response time above which the state is CRITICAL').optional(),
});

export default defineProbe({
  type: 'tcp',
  summary: 'TCP connect time, optional send/expect and TLS (like check_tcp)',
  schema,
  shortFlags: { port: 'p', warning: 'w', critical: 'c', send: 's', expect: 'e', tls: 'S' },
  async run() {
    throw new Error('tcp probe: not implemented yet');
  },
});
