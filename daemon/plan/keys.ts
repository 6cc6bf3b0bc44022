/**
 * The one name of "this real server of this virtual service", shared by the health monitor (its
 * states), the plan (which looks them up) and the drain (its start times):
 * "10.10.0.1:8410/tcp -> 192.168.113.99:8080".
 */
import type { Protocol } from '../config/types.js';
import { formatHostPort } from '../kernel/ipvs/address.js';

export interface ServiceAddress {
  readonly protocol: Protocol;
  readonly address: string;
  readonly port: number;
}

export interface RealAddress {
  readonly address: string;
  readonly port: number;
}

export const realServerId = (service: ServiceAddress, real: RealAddress): string =>
  `${formatHostPort(service.address, service.port)}/${service.protocol} -> ${formatHostPort(real.address, real.port)}`;
