/**
 * email: a mail through the operator's SMTP relay (nodemailer), in UTF-8 so Japanese subjects
 * and bodies arrive intact. With `tls: starttls` the upgrade is required, not opportunistic: a
 * relay that stops offering STARTTLS must not receive the password in clear. The Message-ID is
 * `<idempotency key@mamoru>`, the same on a repeat of the message (notify/outbox.ts), so a mail
 * system or a reader's filter can drop a copy it already has.
 */
import { createRequire } from 'node:module';
import type nodemailerTypes from 'nodemailer';
import { z } from 'zod';
import { port } from '../core/schema.ts';
import { attemptTimeout, secretName } from './options.ts';
import { defineNotifier, failed } from './types.ts';

// nodemailer is loaded on the first mail, not at import: every config pulls in the channel
// registry, and a start should not pay for it (start-up time, issue 16).
let nodemailerLib: typeof nodemailerTypes | undefined;
const nodemailer = () => (nodemailerLib ??= createRequire(import.meta.url)('nodemailer') as typeof nodemailerTypes);

const address = () => z.email({ error: 'expected an e-mail address like ops@example.com' });

export const schema = z
  .strictObject({
    host: z.string().min(1).meta({ description: 'SMTP relay host name or address' }),
    port: port().optional().meta({ description: 'SMTP port (default 25, 587 with starttls, 465 with implicit)' }),
    tls: z.enum(['none', 'starttls', 'implicit']).default('starttls').meta({ description: 'none, STARTTLS (required), or TLS from the first byte (SMTPS)' }),
    tls_verify: z.boolean().default(true).meta({ description: "check the relay's certificate and name" }),
    username: z.string().min(1).optional().meta({ description: 'SMTP AUTH user name' }),
    password_secret: secretName('secret holding the SMTP AUTH password').optional(),
    from: address().meta({ description: 'sender address' }),
    from_name: z.string().optional().meta({ description: 'sender display name, e.g. "mamoru"' }),
    to: z.array(address()).min(1, 'expected at least one recipient').meta({ description: 'recipient addresses' }),
    timeout: attemptTimeout(),
  })
  .superRefine((o, ctx) => {
    if ((o.username === undefined) !== (o.password_secret === undefined))
      ctx.addIssue({ code: 'custom', path: [o.username === undefined ? 'username' : 'password_secret'], message: 'username and password_secret go together' });
  });

const defaultPort = { none: 25, starttls: 587, implicit: 465 } as const;

export default defineNotifier({
  type: 'email',
  summary: 'send an e-mail through an SMTP relay (STARTTLS, AUTH)',
  schema,
  create(opts, ctx) {
    return {
      async send(message, signal) {
        let pass: string | undefined;
        try {
          pass = opts.password_secret === undefined ? undefined : ctx.secret(opts.password_secret);
        } catch (e) {
          return failed(e);
        }
        // One connection per message: notifications are rare, and a fresh connection never
        // inherits a relay's half-closed socket.
        const transport = nodemailer().createTransport({
          host: opts.host,
          port: opts.port ?? defaultPort[opts.tls],
          secure: opts.tls === 'implicit',
          requireTLS: opts.tls === 'starttls',
          ignoreTLS: opts.tls === 'none',
          tls: { rejectUnauthorized: opts.tls_verify },
          auth: opts.username !== undefined && pass !== undefined ? { user: opts.username, pass } : undefined,
          connectionTimeout: opts.timeout,
          greetingTimeout: opts.timeout,
          socketTimeout: opts.timeout,
          logger: false,
        });
        let onAbort = () => {};
        const aborted = new Promise<never>((_, reject) => {
          onAbort = () => reject(new Error('cancelled'));
          if (signal.aborted) onAbort();
          signal.addEventListener('abort', onAbort, { once: true });
        });
        try {
          const info = await Promise.race([
            transport.sendMail({
              from: opts.from_name ? { name: opts.from_name, address: opts.from } : opts.from,
              to: opts.to,
              subject: message.subject,
              text: message.text,
              ...(message.html !== undefined ? { html: message.html } : {}),
              headers: { 'X-Mamoru-Incident': message.incidentId, 'X-Mamoru-Event': message.event },
              // Only a key of our own making (hex) goes into the header.
              ...(message.idempotencyKey && /^[\w-]{1,64}$/.test(message.idempotencyKey) ? { messageId: `<${message.idempotencyKey}@mamoru>` } : {}),
            }),
            aborted,
          ]);
          const rejected = (info.rejected ?? []).map(String);
          // Accepted for some recipients is delivered: a retry would mail the others twice.
          return {
            ok: true,
            status: Number.parseInt(String(info.response), 10) || undefined,
            detail: String(info.response) + (rejected.length ? ` (rejected: ${rejected.join(', ')})` : ''),
          };
        } catch (e) {
          const err = e as Error & { code?: string; responseCode?: number; response?: string };
          if (signal.aborted) return { ok: false, retryable: false, error: 'cancelled (mamoru is stopping)' };
          // 5xx is a permanent refusal (bad password, unknown sender); 4xx and network trouble pass.
          const permanent = err.responseCode !== undefined && err.responseCode >= 500;
          const reason = err.code === 'ETLS' && opts.tls === 'starttls' ? `STARTTLS failed, nothing sent (tls: starttls requires it): ${err.response ?? err.message}` : (err.response ?? err.message);
          return { ok: false, status: err.responseCode, retryable: !permanent, error: `SMTP ${opts.host}: ${err.code ? err.code + ': ' : ''}${reason}` };
        } finally {
          signal.removeEventListener('abort', onAbort);
          transport.close();
        }
      },
    };
  },
});
