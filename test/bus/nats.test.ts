/**
 * The nats bus under the bus contract, on the NATS JetStream this machine runs on 127.0.0.1:4222.
 * Each test gets its own prefix (stream and buckets), deleted after it.
 */
import { deleteBusPrefix } from './nats-prefix.ts';
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
      await deleteBusPrefix(URL, prefix);
    },
  };
});
