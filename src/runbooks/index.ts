/** The runbook registry, keyed by triage's runbook names: one file per runbook. */
import type { RunbookName } from '../triage/types.ts';
import type { RunbookDefinition } from './types.ts';
import diskFull from './disk-full.ts';
import ftpDown from './ftp-down.ts';
import hostUnreachable from './host-unreachable.ts';
import httpDown from './http-down.ts';
import httpSlow from './http-slow.ts';
import mailQueue from './mail-queue.ts';
import mysqlDown from './mysql-down.ts';
import pop3Slow from './pop3-slow.ts';
import serviceDown from './service-down.ts';
import snmpAgentError from './snmp-agent-error.ts';

export const runbooks = {
  'host-unreachable': hostUnreachable,
  'http-down': httpDown,
  'http-slow': httpSlow,
  'mysql-down': mysqlDown,
  'ftp-down': ftpDown,
  'pop3-slow': pop3Slow,
  'mail-queue': mailQueue,
  'snmp-agent-error': snmpAgentError,
  'disk-full': diskFull,
  'service-down': serviceDown,
} satisfies Record<RunbookName, RunbookDefinition>;

export type { RunbookDefinition, RunbookContext, RunbookResult, Evidence, ActionRequest, AttackEvidence, AttackSource, Recorder, ZoneView } from './types.ts';
