/** The probe registry: config schema, CLI commands and docs are all derived from this list. */
import type { ProbeDefinition } from './types.ts';
import disk from './disk.ts';
import diskSnmp from './disk-snmp.ts';
import dns from './dns.ts';
import ftp from './ftp.ts';
import http from './http.ts';
import imap from './imap.ts';
import mailq from './mailq.ts';
import mysql from './mysql.ts';
import nagiosPlugin from './nagios-plugin.ts';
import ping from './ping.ts';
import pop3 from './pop3.ts';
import processProbe from './process.ts';
import smtp from './smtp.ts';
import snmp from './snmp.ts';
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
  smtp,
  pop3,
  imap,
  ftp,
  mailq,
  snmp,
  'disk-snmp': diskSnmp,
} satisfies Record<string, ProbeDefinition<any>>;

export type ProbeType = keyof typeof probes;
export type { ProbeDefinition, ProbeContext } from './types.ts';
