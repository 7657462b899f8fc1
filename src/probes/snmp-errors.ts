/**
 * Words for an SNMP request that brought no values, shared by the snmp and disk-snmp probes.
 * They reuse net-snmp's own phrases (`Timeout: No Response from 10.0.0.5:161`, `Unknown user
 * name`, `Authentication failure (incorrect password, community or key)`) because operators see
 * them from snmpget, snmpbulkget and check_snmp; that is the field runbook's
 * `snmpbulkget: Error: ...` row ("the SNMP agent cannot be read").
 *
 * The state is UNKNOWN, as check_snmp gives for the same conditions: nothing was measured. The
 * v1/v2c timeout says that the community may be wrong, because an agent drops a request with a
 * wrong community without a word, so "down" and "wrong community" look the same on the wire.
 */
import { NagiosState } from '../core/nagios.ts';
import type { SnmpFailure, SnmpTarget } from './snmp-client.ts';
import { timeoutSeconds } from './tcp-errors.ts';

/** host:port as snmpget prints it (IPv6 in brackets). */
export function agentAddress(t: Pick<SnmpTarget, 'host' | 'port'>): string {
  return t.host.includes(':') ? `[${t.host}]:${t.port}` : `${t.host}:${t.port}`;
}

/**
 * The state and the sentence after `SNMP UNKNOWN - ` (or `DISK UNKNOWN - `) for a failed request.
 * `waitedMs` is how long the check waited in all (the check's timeout or attempts x retries).
 */
export function describeFailure(f: SnmpFailure, t: SnmpTarget, waitedMs: number): { state: NagiosState; text: string } {
  const where = agentAddress(t);
  const v3 = t.auth.version === '3' ? t.auth : undefined;
  switch (f.kind) {
    case 'timeout': {
      const retries = t.retries === 1 ? '1 retry' : `${t.retries} retries`;
      const head = `Timeout: No Response from ${where} after ${timeoutSeconds(waitedMs)} seconds (${retries})`;
      const why = v3
        ? 'the SNMP agent is not answering (stopped, host down or filtered), or the SNMPv3 privacy password is wrong'
        : `the SNMP agent is not answering (stopped, host down or filtered), or the community is wrong (SNMPv${t.auth.version} agents drop requests with a wrong community silently)`;
      return { state: NagiosState.UNKNOWN, text: `${head}: ${why}` };
    }
    case 'unknown-user':
      return { state: NagiosState.UNKNOWN, text: `Unknown user name: the agent at ${where} has no SNMPv3 user "${v3?.user ?? ''}"` };
    case 'wrong-digest':
      return { state: NagiosState.UNKNOWN, text: `Authentication failure (incorrect password, community or key): the SNMPv3 authentication password of "${v3?.user ?? ''}" at ${where} is wrong` };
    case 'security':
      return { state: NagiosState.UNKNOWN, text: `SNMPv3 security error from ${where}: ${f.message}` };
    case 'agent-error':
      return { state: NagiosState.UNKNOWN, text: `${f.message} (${where})` };
    case 'bad-response':
      return { state: NagiosState.UNKNOWN, text: `${f.message} (${where})` };
    case 'local':
      return { state: NagiosState.UNKNOWN, text: `cannot query ${where}: ${f.message}` };
  }
}
