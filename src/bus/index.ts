/** The bus registry: the config schema, CLI help and docs derive the list of buses from this. */
import type { BusDefinition } from './types.ts';
import local from './local.ts';
import nats from './nats.ts';

export const buses = {
  local,
  nats,
} satisfies Record<string, BusDefinition<any>>;

export type BusType = keyof typeof buses;
export type { Bus, BusContext, BusDefinition, ConsumeOptions, Member, PublishReport, ResultConsumer, ResultEnvelope, ResultHandler } from './types.ts';
