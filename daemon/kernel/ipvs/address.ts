/** "ADDR:PORT" as ipvsadm prints and reads it (IPv6 in brackets). */
export function formatHostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

export function parseHostPort(text: string): { address: string; port: number } | undefined {
  const colon = text.lastIndexOf(':');
  if (colon <= 0) return undefined;
  const host = text.slice(0, colon);
  const port = Number(text.slice(colon + 1));
  if (!/^\d+$/.test(text.slice(colon + 1)) || port > 65535) return undefined;
  const address = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  return address === '' ? undefined : { address, port };
}
