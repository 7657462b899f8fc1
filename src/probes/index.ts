/** The probe registry: config schema, CLI commands and docs are all derived from this list. */
import type { ProbeDefinition } from './types.ts';
import disk from './disk.ts';
import dns from './dns.ts';
import http from './http.ts';
import mysql from './mysql.ts';
import nagiosPlugin from './nagios-plugin.ts';
import ping from './ping.ts';
import processProbe from './process.ts';
import tcp from './tcp.ts';

export const probes = {
  ping,
  tcp,
  http,
  disk,
  'nagios-plugin': nagiosPlugin,
  mysql,
  process: processProbe,
  dns,
} satisfies Record<string, ProbeDefinition<any>>;

export type ProbeType = keyof typeof probes;
export type { ProbeDefinition, ProbeContext } from './types.ts';
