/**
 * nats: the bus on NATS JetStream, for pollers and brains on several machines. Its options live
 * here; the client (nats-bus.ts, with the @nats-io packages) is loaded only when a nats bus is
 * opened, so reading a config never loads it.
 */
import { z } from 'zod';
import { duration } from '../core/schema.ts';
import { BUS_NAME, defineBus } from './types.ts';

export const schema = z.strictObject({
  url: z.string().min(1).max(2000).default('nats://127.0.0.1:4222').meta({ description: 'the NATS server(s), comma separated' }),
  prefix: z.string().regex(BUS_NAME).default('mamoru').meta({ description: "start of every stream, subject and bucket name: two installations on one NATS need different prefixes" }),
  user: z.string().min(1).max(200).optional().meta({ description: 'NATS user name' }),
  password_secret: z.string().min(1).max(200).optional().meta({ description: "the secret holding the user's password" }),
  dedup_window: duration('how long a result id is remembered by the stream, so a repeat is dropped', { min: 1_000, max: 3_600_000 }).prefault('2m'),
  keep_results: duration('how long results stay in the stream when no consumer took them', { min: 60_000, max: 30 * 86_400_000 }).prefault('1d'),
  member_ttl: duration('a member not heard from for this long is no longer alive', { min: 1_000, max: 3_600_000 }).prefault('15s'),
  lease_ttl: duration('a lease not renewed for this long is free again: the brain that leads renews it three times a ttl, a standing-by brain takes over at most a ttl and a second after the leader died', { min: 1_000, max: 3_600_000 }).prefault('9s'),
});
export type NatsBusOptions = z.output<typeof schema>;

export default defineBus({
  type: 'nats',
  summary: 'NATS JetStream: pollers in zones publish results, the brain consumes them durably; members and the brain\'s lease in KV buckets',
  schema,
  create: async (options, ctx) => (await import('./nats-bus.ts')).NatsBus.open(options, ctx.log, ctx.secret),
});
