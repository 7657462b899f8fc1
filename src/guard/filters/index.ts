/** The filter registry: `mamoru logtest`, jails and docs derive the list of filters from here. */
import type { FilterDefinition } from '../failure.ts';
import apacheAuth from './apache-auth.ts';
import courier from './courier.ts';
import dovecot from './dovecot.ts';
import nginxAuth from './nginx-auth.ts';
import postfixSasl from './postfix-sasl.ts';
import proftpd from './proftpd.ts';
import pureFtpd from './pure-ftpd.ts';
import sshd from './sshd.ts';
import vpopmail from './vpopmail.ts';
import vsftpd from './vsftpd.ts';

export const filters = {
  vpopmail,
  dovecot,
  'postfix-sasl': postfixSasl,
  courier,
  vsftpd,
  proftpd,
  'pure-ftpd': pureFtpd,
  sshd,
  'apache-auth': apacheAuth,
  'nginx-auth': nginxAuth,
} satisfies Record<string, FilterDefinition>;

export type FilterType = keyof typeof filters;
export type { FilterDefinition, Failure, FailureMatch, MatchContext } from '../failure.ts';
export { LogScanner, type ScannerOptions } from './scanner.ts';
