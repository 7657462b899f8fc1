/** A target is a server mamoru watches: where it is, what it depends on, who cares about it. */
export interface Target {
  /** Unique name, used in results, incidents and messages. */
  name: string;
  /** IP address or DNS name the probes connect to. */
  address: string;
  /** Names of targets this one is reached through (a router, a hypervisor). */
  parents: string[];
  tags: string[];
}

export function targetFromAddress(address: string): Target {
  return { name: address, address, parents: [], tags: [] };
}
