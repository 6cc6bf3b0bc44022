/**
 * A generated big lab (not a test file): N virtual servers of 2 real servers each and blocklists
 * totalling M entries, written as block-style YAML, flow-style YAML or JSON. The scale tests and
 * the measurements of issue 13 use it.
 */

export interface BigLabSize {
  readonly virtualServers: number;
  readonly entries: number;
}

interface BigLab {
  readonly lab: string;
  readonly nodes: Record<string, { readonly role: string; readonly address: string }>;
  readonly virtualServers: readonly { name: string; vip: string; port: number; realServers: readonly { node: string; port: number }[] }[];
  readonly blocklists: readonly { name: string; type: string; entries: readonly string[] }[];
}

const REAL_SERVER_NODES = 20;

/** The i-th address of 10.0.0.0/8 from 10.0.1.0 on (never a network or broadcast in /24 terms). */
const address = (base: number, i: number): string => {
  const n = base * 65536 + i;
  return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${(n & 255)}`;
};

/** The lab as plain data: every VIP distinct, real servers spread over 20 nodes, two blocklists. */
export function bigLab(size: BigLabSize): BigLab {
  const nodes: Record<string, { role: string; address: string }> = {
    ds: { role: 'director', address: '192.168.0.1/16' },
    client: { role: 'client', address: '192.168.0.2/16' },
  };
  for (let n = 0; n < REAL_SERVER_NODES; n++) nodes[`rs${n}`] = { role: 'real-server', address: `192.168.1.${n + 1}/16` };
  const virtualServers = Array.from({ length: size.virtualServers }, (_, i) => ({
    name: `vs-${i}`,
    vip: address(16, i + 1),
    port: 80,
    realServers: [
      { node: `rs${i % REAL_SERVER_NODES}`, port: 8080 },
      { node: `rs${(i + 1) % REAL_SERVER_NODES}`, port: 8080 },
    ],
  }));
  const half = Math.floor(size.entries / 2);
  const blocklists = [
    { name: 'ips', type: 'hash:ip', entries: Array.from({ length: half }, (_, k) => address(64, k + 1)) },
    { name: 'nets', type: 'hash:net', entries: Array.from({ length: size.entries - half }, (_, k) => `${address(128, k * 4)}/30`) },
  ];
  return { lab: 'big', nodes, virtualServers, blocklists };
}

export const bigLabJson = (size: BigLabSize): string => `${JSON.stringify(bigLab(size), null, 2)}\n`;

/** Flow style: one virtual server and one blocklist per line, entries in one [a, b, …] list. */
export function bigLabFlowYaml(size: BigLabSize): string {
  const lab = bigLab(size);
  const lines = ['lab: big', 'nodes:'];
  for (const [name, n] of Object.entries(lab.nodes)) lines.push(`  ${name}: { role: ${n.role}, address: ${n.address} }`);
  lines.push('virtualServers:');
  for (const vs of lab.virtualServers) {
    const rs = vs.realServers.map((r) => `{ node: ${r.node}, port: ${r.port} }`).join(', ');
    lines.push(`  - { name: ${vs.name}, vip: ${vs.vip}, port: ${vs.port}, realServers: [${rs}] }`);
  }
  lines.push('blocklists:');
  for (const bl of lab.blocklists) lines.push(`  - { name: ${bl.name}, type: ${bl.type}, entries: [${bl.entries.join(', ')}] }`);
  return `${lines.join('\n')}\n`;
}

/** Block style: one key or list item per line, as a person writes a small lab. */
export function bigLabBlockYaml(size: BigLabSize): string {
  const lab = bigLab(size);
  const lines = ['lab: big', 'nodes:'];
  for (const [name, n] of Object.entries(lab.nodes)) lines.push(`  ${name}:`, `    role: ${n.role}`, `    address: ${n.address}`);
  lines.push('virtualServers:');
  for (const vs of lab.virtualServers) {
    lines.push(`  - name: ${vs.name}`, `    vip: ${vs.vip}`, `    port: ${vs.port}`, '    realServers:');
    for (const r of vs.realServers) lines.push(`      - node: ${r.node}`, `        port: ${r.port}`);
  }
  lines.push('blocklists:');
  for (const bl of lab.blocklists) {
    lines.push(`  - name: ${bl.name}`, `    type: ${bl.type}`, '    entries:');
    for (const e of bl.entries) lines.push(`      - ${e}`);
  }
  return `${lines.join('\n')}\n`;
}
