/**
 * The options every SNMP probe shares (version, community or v3 user, port, retries) and how they
 * become a request target. Credentials are secret names (`community_secret: core-snmp`), read
 * through the probe context when the check runs, so they never sit in the config text.
 */
import { z } from 'zod';
import { port } from '../core/schema.ts';
import type { SnmpTarget } from './snmp-client.ts';
import type { ProbeContext } from './types.ts';

const secretName = (description: string) => z.string().min(1).meta({ description });

/** The connection keys, spread into each SNMP probe's own strictObject. */
export const connectionShape = {
  port: port().default(161).meta({ description: 'UDP port of the agent' }),
  version: z.enum(['1', '2c', '3']).default('2c').meta({ description: 'SNMP version' }),
  community_secret: secretName('name of the secret holding the v1/v2c community (without it: "public", like check_snmp)').optional(),
  username: z.string().min(1).optional().meta({ description: 'SNMPv3 user name' }),
  security_level: z.enum(['noAuthNoPriv', 'authNoPriv', 'authPriv']).default('authPriv').meta({ description: 'SNMPv3 security level' }),
  auth_protocol: z.enum(['md5', 'sha', 'sha224', 'sha256', 'sha384', 'sha512']).default('sha').meta({ description: 'SNMPv3 authentication protocol' }),
  auth_secret: secretName('name of the secret holding the SNMPv3 authentication password').optional(),
  priv_protocol: z.enum(['des', 'aes', 'aes256b', 'aes256r']).default('aes').meta({ description: 'SNMPv3 privacy protocol' }),
  priv_secret: secretName('name of the secret holding the SNMPv3 privacy password').optional(),
  retries: z.number().int().min(0).max(5).default(1).meta({ description: 'resends after an unanswered request; the check timeout is shared among the attempts' }),
};

type Connection = z.output<z.ZodObject<typeof connectionShape>>;

/** The v3 keys a security level needs: reported at config load, not at the first check. */
export function checkConnection(o: Partial<Connection>, ctx: z.RefinementCtx): void {
  if (o.version !== '3') {
    for (const key of ['username', 'auth_secret', 'priv_secret'] as const)
      if (o[key] !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: `${key} is for SNMPv3; set version: "3" or remove it` });
    return;
  }
  if (o.community_secret !== undefined) ctx.addIssue({ code: 'custom', path: ['community_secret'], message: 'SNMPv3 uses username and passwords, not a community' });
  if (!o.username) ctx.addIssue({ code: 'custom', path: ['username'], message: 'SNMPv3 needs a username' });
  if (o.security_level !== 'noAuthNoPriv' && !o.auth_secret)
    ctx.addIssue({ code: 'custom', path: ['auth_secret'], message: `security_level ${o.security_level} needs auth_secret (the name of the secret holding the authentication password)` });
  if (o.security_level === 'authPriv' && !o.priv_secret)
    ctx.addIssue({ code: 'custom', path: ['priv_secret'], message: 'security_level authPriv needs priv_secret (the name of the secret holding the privacy password)' });
}

/**
 * The request target for a check: secrets read now (a missing one throws SecretError, which the
 * runner reports as UNKNOWN with what to set), the check's timeout split among the attempts.
 */
export function snmpTarget(host: string, o: Connection, ctx: ProbeContext): SnmpTarget {
  const attemptMs = Math.max(50, Math.floor(ctx.timeoutMs / (o.retries + 1)));
  const base = { host, port: o.port, attemptMs, retries: o.retries };
  if (o.version !== '3') return { ...base, auth: { version: o.version, community: o.community_secret ? ctx.secret(o.community_secret) : 'public' } };
  return {
    ...base,
    auth: {
      version: '3',
      user: o.username ?? '',
      level: o.security_level,
      authProtocol: o.auth_protocol,
      authKey: o.security_level !== 'noAuthNoPriv' && o.auth_secret ? ctx.secret(o.auth_secret) : undefined,
      privProtocol: o.priv_protocol,
      privKey: o.security_level === 'authPriv' && o.priv_secret ? ctx.secret(o.priv_secret) : undefined,
    },
  };
}
