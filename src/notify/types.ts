/**
 * The one shape every notifier channel has (style.md 3, the same family shape as probes):
 * `{ type, summary, schema, create }`. A channel turns a small, plain message into one delivery
 * attempt and reports how it went; retries and backoff belong to src/notify/delivery.ts, and the
 * words of the message to the templates (a later step).
 */
import type { z } from 'zod';
import type { Logger } from 'pino';
import type { SecretLookup } from '../core/secrets.ts';

/** What happened to an incident that a person is being told about. */
export type NotificationEvent = 'open' | 'update' | 'recovered' | 'reminder' | 'test';

/** How bad it is, in Nagios words; `ok` for a recovery or a test. */
export type NotificationSeverity = 'ok' | 'warning' | 'critical' | 'unknown';

/** One message to one contact: already written in the contact's language. */
export interface NotificationMessage {
  subject: string;
  /** Plain text; channels that cannot show HTML send this. */
  text: string;
  /** Optional HTML alternative (e-mail only). */
  html?: string | undefined;
  language: 'en' | 'ja';
  incidentId: string;
  event: NotificationEvent;
  severity: NotificationSeverity;
  /**
   * The same for every attempt and every repeat of this message to this contact's channel (a
   * repeat after a restart too: notify/outbox.ts), so a receiver can drop one it already has.
   */
  idempotencyKey?: string | undefined;
}

/** How one attempt to send went. A channel returns this rather than throwing. */
export interface DeliveryReceipt {
  ok: boolean;
  /** HTTP status or SMTP reply code, when the peer answered. */
  status?: number | undefined;
  /** Why it failed, in words an operator can act on. */
  error?: string | undefined;
  /** False when trying again cannot help (a rejected token, a 404, a bad secret). */
  retryable?: boolean | undefined;
  /** The peer's answer on success (e.g. `250 2.0.0 Ok: queued as ...`), for the timeline. */
  detail?: string | undefined;
}

export interface NotifierContext {
  /** Reads a secret named by an option ending in `_secret`; throws SecretError when it cannot. */
  secret: SecretLookup;
  log: Logger;
  /** Aborted when mamoru stops. */
  signal?: AbortSignal | undefined;
}

/** A configured channel, ready to send. */
export interface Notifier {
  /** Makes one attempt; resolves with the receipt (failures included), aborts on `signal`. */
  send(message: NotificationMessage, signal: AbortSignal): Promise<DeliveryReceipt>;
  /** Releases connections, if the channel keeps any. */
  close?(): void;
}

export interface NotifierDefinition<S extends z.ZodObject = z.ZodObject> {
  /** Equals the file name and the config discriminator. */
  type: string;
  /** One line for the CLI help and the docs. */
  summary: string;
  /** The channel's own options (snake_case keys; secrets by name in keys ending in `_secret`). */
  schema: S;
  create(options: z.output<S>, ctx: NotifierContext): Notifier;
}

/** Identity helper that keeps the option types of each channel. */
export function defineNotifier<S extends z.ZodObject>(def: NotifierDefinition<S>): NotifierDefinition<S> {
  return def;
}

/** A receipt for a failure that happened before anything was sent (e.g. a missing secret). */
export function failed(error: unknown, retryable = false): DeliveryReceipt {
  return { ok: false, error: error instanceof Error ? error.message : String(error), retryable };
}
