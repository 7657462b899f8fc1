/**
 * The contacts' channels, touched as little as can tell: an e-mail channel's SMTP relay takes a
 * TCP connection (closed at once: no greeting awaited, no mail sent); a URL a channel posts to
 * (its `url`, `api_url`, or the URL in its `url_secret`) has a host name that resolves. No
 * request is sent anywhere. Names under `.invalid` never resolve (RFC 6761) and are not asked.
 */
import { lookup } from 'node:dns/promises';
import { connect, isIP } from 'node:net';
import { secretsFrom, type SecretSource } from '../core/secrets.ts';
import type { CheckGroup, DoctorContext, Finding } from './types.ts';

/** Where a channel's mail relay listens, per channel type that sends mail: its port defaults as in notify/email.ts. */
const SMTP_ENDPOINT: Record<string, (c: Record<string, unknown>) => { host: string; port: number }> = {
  email: (c) => ({ host: String(c['host']), port: typeof c['port'] === 'number' ? c['port'] : ({ none: 25, starttls: 587, implicit: 465 } as Record<string, number>)[String(c['tls'])] ?? 587 }),
};

function tcpConnect(host: string, port: number, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const sock = connect({ host, port });
    const done = (why: string | undefined) => {
      clearTimeout(timer);
      sock.destroy();
      resolve(why);
    };
    const timer = setTimeout(() => done(`no answer within ${timeoutMs} ms`), timeoutMs);
    sock.once('connect', () => done(undefined));
    sock.once('error', (e: NodeJS.ErrnoException) => done(e.code ?? e.message));
  });
}

async function resolves(host: string, timeoutMs: number): Promise<string | undefined> {
  const h = host.replace(/^\[|\]$/g, '');
  if (isIP(h)) return undefined;
  if (/(^|\.)invalid\.?$/i.test(h)) return 'ENOTFOUND';
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<string>((r) => (timer = setTimeout(() => r(`no answer within ${timeoutMs} ms`), timeoutMs)));
  try {
    return await Promise.race([lookup(h).then(() => undefined, (e: NodeJS.ErrnoException) => e.code ?? e.message), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** The URLs a channel posts to: options named `url` or ending in `_url`, and URL secrets. */
function channelUrls(ch: Record<string, unknown>, ctx: DoctorContext): { key: string; url?: string; error?: string }[] {
  const out: { key: string; url?: string; error?: string }[] = [];
  const secret = secretsFrom(ctx.cfg.secrets as Record<string, SecretSource>);
  for (const [key, value] of Object.entries(ch)) {
    if (typeof value !== 'string') continue;
    if (key === 'url' || key.endsWith('_url')) out.push({ key, url: value });
    else if (key === 'url_secret' || key.endsWith('_url_secret')) {
      try {
        out.push({ key, url: secret(value).trim() });
      } catch (e) {
        out.push({ key, error: (e as Error).message });
      }
    }
  }
  return out;
}

export const notifyChecks: CheckGroup = async (ctx) => {
  const out: Finding[] = [];
  for (const [i, contact] of ctx.cfg.contacts.entries())
    for (const [j, raw] of contact.channels.entries()) {
      const ch = raw as Record<string, unknown>;
      const type = String(ch['type']);
      const where = `contact ${contact.name}, ${typeof ch['name'] === 'string' ? ch['name'] : type}`;
      const path = `contacts[${i}].channels[${j}]`;
      const smtp = SMTP_ENDPOINT[type]?.(ch);
      if (smtp) {
        const why = await tcpConnect(smtp.host, smtp.port, ctx.timeoutMs);
        if (why === undefined) out.push({ group: 'smtp', mark: 'ok', text: `${where}: the SMTP relay ${smtp.host}:${smtp.port} accepts connections` });
        else
          out.push({
            group: 'smtp',
            mark: 'fail',
            text: `${where}: cannot connect to the SMTP relay ${smtp.host}:${smtp.port} (${why})`,
            fix: `is the relay running and listening on ${smtp.port}, and may this machine reach it? Otherwise correct host, port or tls in ${path} of ${ctx.configFile}`,
          });
      }
      for (const u of channelUrls(ch, ctx)) {
        if (u.error !== undefined) {
          out.push({ group: 'webhooks', mark: 'fail', text: `${where}: ${u.key}: ${u.error}`, fix: `define the secret under "secrets:" so it holds the URL` });
          continue;
        }
        let host: string;
        try {
          host = new URL(u.url!).hostname;
        } catch {
          out.push({ group: 'webhooks', mark: 'fail', text: `${where}: ${u.key} is not a URL`, fix: `set ${path}.${u.key} (or its secret) to an https:// URL` });
          continue;
        }
        const why = await resolves(host, ctx.timeoutMs);
        if (why === undefined) out.push({ group: 'webhooks', mark: 'ok', text: `${where}: the ${u.key.replace(/_secret$/, '')} host ${host} resolves (nothing sent)` });
        else out.push({ group: 'webhooks', mark: 'fail', text: `${where}: the ${u.key.replace(/_secret$/, '')} host ${host} does not resolve (${why})`, fix: `correct the host name in ${path}.${u.key}, or check this machine's DNS (/etc/resolv.conf)` });
      }
    }
  if (!out.some((f) => f.group === 'smtp')) out.push({ group: 'smtp', mark: 'ok', text: 'no e-mail channel: no SMTP relay to reach' });
  if (!out.some((f) => f.group === 'webhooks')) out.push({ group: 'webhooks', mark: 'ok', text: 'no channel posts to a URL' });
  return out;
};
