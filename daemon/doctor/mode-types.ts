/** What `lvslab doctor` reads of a lab's DR and TUN virtual servers. Plain data. */

/** An ipip device of a real server, as `ip -j -d addr show` lists it. */
export interface IpipDevice {
  readonly name: string;
  readonly up: boolean;
  /** The local address it is bound to; absent: any (tunl0, the fallback device). */
  readonly local?: string;
  readonly mtu?: number;
}

export interface ModeRealServerFacts {
  readonly node: string;
  readonly ip: string;
  /** How the director reaches it, for the lab's virtual servers it serves: dr, tun or both. */
  readonly forwarding: readonly ('dr' | 'tun')[];
  /** The VIPs of those virtual servers: what it must hold. */
  readonly vips: readonly string[];
  /** Its IPv4 addresses by device (absent: not read). */
  readonly addresses?: Readonly<Record<string, readonly string[]>>;
  /** The device that holds its lab address (where ARP for the VIP would be asked). */
  readonly labDevice?: string;
  /** Its ipip devices (none: the ipip module is not loaded, or it is and tunl0 was deleted). */
  readonly ipipDevices?: readonly IpipDevice[];
  /** sysctl key → value, for net.ipv4.conf.{all,DEV}.{arp_ignore,arp_announce,rp_filter} (absent: not read). */
  readonly sysctls?: Readonly<Record<string, string>>;
}

export interface ModeFacts {
  readonly director: { readonly name: string; readonly ip: string };
  readonly realServers: readonly ModeRealServerFacts[];
  /** The director's route to each DR real server (`ip route get RIP`): its gateway when it has one, and its device. */
  readonly directorRoutes: Readonly<Record<string, { readonly via?: string; readonly dev?: string }>>;
  readonly notes: readonly string[];
}
