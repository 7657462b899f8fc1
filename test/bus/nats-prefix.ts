/** Deletes what a nats bus with this prefix made on the server (its results stream, its KV buckets): each test's own prefix, after it. */
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';

export async function deleteBusPrefix(url: string, prefix: string): Promise<void> {
  const nc = await connect({ servers: url });
  try {
    const jsm = await jetstreamManager(nc);
    for (const s of [`${prefix}_results`, `KV_${prefix}_members`, `KV_${prefix}_leases`]) await jsm.streams.delete(s).catch(() => false);
  } finally {
    await nc.close();
  }
}
