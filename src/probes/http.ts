/**
 * http: fetch a page by IP (with a Host header) or by domain, over HTTP or HTTPS (check_http):
 * status, body regex, response time, certificate days left, redirect policy.
 */
import { z } from 'zod';
import { port, regex, seconds } from '../core/schema.ts';
import { defineProbe } from './types.ts';

export const schema = z.strictObject({
  port: port().optional().meta({ description: 'port (default 80, or 443 with tls)' }),
  tls: z.boolean().default(false).meta({ description: 'use HTTPS' }),
  path: z.string().startsWith('/', 'expected a path starting with "/"').default('/').meta({ description: 'URL path to fetch' }),
  host_header: z.string().optional().meta({ description: 'Host header and TLS server name (to check a site by IP)' }),
  method: z.enum(['GET', 'HEAD', 'POST']).default('GET'),
  expect_status: z.array(z.number().int().min(100).max(599)).optional().meta({ description: 'accepted status codes (default: 1xx-3xx OK, 4xx WARNING, 5xx CRITICAL)' }),
  body_regex: regex('regular expression the body must match').optional(),
  warning: seconds('response time above which the state is WARNING').optional(),
  critical: seconds('response time above which the state is CRITICAL').optional(),
  cert_warning_days: z.number().int().nonnegative().optional().meta({ description: 'WARNING when the TLS certificate expires in fewer days' }),
  cert_critical_days: z.number().int().nonnegative().optional().meta({ description: 'CRITICAL when the TLS certificate expires in fewer days' }),
  redirects: z.enum(['ok', 'follow', 'warning', 'critical']).default('ok').meta({ description: 'what a 3xx means: OK, follow it, WARNING or CRITICAL' }),
  max_redirects: z.number().int().min(0).max(20).default(5),
  tls_verify: z.boolean().default(false).meta({ description: 'fail when the certificate chain or name does not verify' }),
});

export default defineProbe({
  type: 'http',
  summary: 'HTTP/HTTPS page by IP or domain: status, body, response time, certificate (like check_http)',
  schema,
  shortFlags: { port: 'p', warning: 'w', critical: 'c', path: 'u', body_regex: 'r', tls: 'S' },
  async run() {
    throw new Error('http probe: not implemented yet');
  },
});
