/** The notifier registry: the contacts' config schema, the CLI help and the docs derive from this list. */
import type { NotifierDefinition } from './types.ts';
import chatwork from './chatwork.ts';
import discord from './discord.ts';
import email from './email.ts';
import slack from './slack.ts';
import teams from './teams.ts';
import webhook from './webhook.ts';

export const notifiers = {
  email,
  webhook,
  slack,
  discord,
  teams,
  chatwork,
} satisfies Record<string, NotifierDefinition<any>>;

export type NotifierType = keyof typeof notifiers;
export type { NotifierDefinition, Notifier, NotifierContext, NotificationMessage, DeliveryReceipt } from './types.ts';
