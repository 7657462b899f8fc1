/**
 * The nats bus under the bus contract, on the NATS JetStream this machine runs on 127.0.0.1:4222.
 * Each test gets its own prefix (stream and buckets), deleted after it.
 */
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { silentLogger } from '../../src/core/log.ts';
import { buses } from '../../src/bus/index.ts';
import { runBusContract } from './contract.ts';

const URL = 'nats://127.0.0.1:4222';
let n = 0;

runBusContract('nats bus', async () => {
  const prefix = `t${process.pid}_${++n}`;
  return {
    durable: true,
    open: (options = {}) => buses.nats.create(buses.nats.schema.parse({ url: URL, prefix, ...options }), { log: silentLogger }),
    cleanup: async () => {
      const nc = await connect({ servers: URL });
      const jsm = await jetstreamManager(nc);
      for (const s of [`${prefix}_results`, `KV_${prefix}_members`, `KV_${prefix}_leases`]) await jsm.streams.delete(s).catch(() => false);
      await nc.close();
    },
  };
});
