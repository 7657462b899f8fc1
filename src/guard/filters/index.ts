/** The filter registry: `mamoru logtest`, jails and docs derive the list of filters from here. */
import type { FilterDefinition } from '../failure.ts';
import apacheAuth from './apache-auth.ts';
import botSearch from './bot-search.ts';
import courier from './courier.ts';
import dovecot from './dovecot.ts';
import exim from './exim.ts';
import mamoruAuth from './mamoru-auth.ts';
import mysqld from './mysqld.ts';
import named from './named.ts';
import nginxAuth from './nginx-auth.ts';
import postfix from './postfix.ts';
import nginxLimitReq from './nginx-limit-req.ts';
import postfixSasl from './postfix-sasl.ts';
import proftpd from './proftpd.ts';
import pureFtpd from './pure-ftpd.ts';
import sshd from './sshd.ts';
import vpopmail from './vpopmail.ts';
import vsftpd from './vsftpd.ts';
import wordpress from './wordpress.ts';

export const filters = {
  vpopmail,
  dovecot,
  'postfix-sasl': postfixSasl,
  postfix,
  exim,
  mysqld,
  named,
  courier,
  vsftpd,
  proftpd,
  'pure-ftpd': pureFtpd,
  sshd,
  'apache-auth': apacheAuth,
  'nginx-auth': nginxAuth,
  'nginx-limit-req': nginxLimitReq,
  wordpress,
  'bot-search': botSearch,
  'mamoru-auth': mamoruAuth,
} satisfies Record<string, FilterDefinition>;

export type FilterType = keyof typeof filters;
export type { FilterDefinition, Failure, FailureMatch, MatchContext } from '../failure.ts';
export { LogScanner, type ScannerOptions } from './scanner.ts';
