/** The local bus (in process) under the bus contract. */
import { silentLogger } from '../../src/core/log.ts';
import { buses } from '../../src/bus/index.ts';
import { runBusContract } from './contract.ts';

runBusContract('local bus', async () => ({
  durable: false,
  open: (options = {}) => buses.local.create(buses.local.schema.parse(options), { log: silentLogger }),
  cleanup: async () => {},
}));
