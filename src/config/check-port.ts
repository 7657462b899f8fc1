/**
 * The port a check talks to, as its probe will use it: the parsed options' `port`, where the
 * probe's schema fills in its default (mysql 3306, dns 53, snmp 161, ...). A check written
 * `- type: http` belongs to the service on port 80 as surely as one written `port: 80`.
 *
 * Five probes cannot default their port in the schema, because it depends on another option
 * (`tls`): http (src/probes/http.ts, planCheck) and the greeting probes pop3, imap, ftp and smtp
 * (`withDefaultPort` in src/probes/greeting.ts) fill it in at run time. Their rule is repeated
 * below, and test/config/check-port.test.ts holds it to what each schema documents for `port`.
 * (Better: a probe exporting its own effective port, so this table goes; that is a change to the
 * probe shape in src/probes/types.ts.)
 */
import type { PlannedCheck } from './checks.ts';

type Options = Record<string, unknown>;

/** `plain`, or `implicit` when TLS starts with the first byte (`tls: implicit`). */
const byImplicitTls = (plain: number, implicit: number) => (o: Options) => (o.tls === 'implicit' ? implicit : plain);

/** Ports the probes choose at run time from `tls`, by probe type. */
export const runTimePorts: Readonly<Record<string, { plain: number; tls: number; port(o: Options): number }>> = {
  http: { plain: 80, tls: 443, port: (o) => (o.tls === true ? 443 : 80) },
  pop3: { plain: 110, tls: 995, port: byImplicitTls(110, 995) },
  imap: { plain: 143, tls: 993, port: byImplicitTls(143, 993) },
  ftp: { plain: 21, tls: 990, port: byImplicitTls(21, 990) },
  smtp: { plain: 25, tls: 465, port: byImplicitTls(25, 465) },
};

/** The port a planned check uses, or undefined for a probe that talks to no port (disk, ping, mailq, process). */
export function effectivePort(check: Pick<PlannedCheck, 'type' | 'options'>): number | undefined {
  const port = check.options.port;
  if (typeof port === 'number') return port;
  return runTimePorts[check.type]?.port(check.options);
}
