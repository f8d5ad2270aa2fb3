/** IPv4 address and CIDR helpers (no dependencies; addresses are unsigned 32-bit numbers). */

export interface Cidr {
  /** Network address as an unsigned 32-bit number (host bits cleared). */
  readonly network: number;
  readonly prefix: number;
  /** The canonical text form, e.g. "192.168.56.0/24". */
  readonly text: string;
}

export type CidrResult =
  | { readonly ok: true; readonly cidr: Cidr }
  | { readonly ok: false; readonly reason: string; readonly suggestion?: string };

const OCTET = /^(0|[1-9]\d{0,2})$/;

/** Parses dotted-quad IPv4 ("192.168.56.10"); null when invalid (leading zeros are refused: they are ambiguous). */
export function parseIPv4(text: string): number | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  let value = 0;
  for (const part of parts) {
    if (!OCTET.test(part)) return null;
    const octet = Number(part);
    if (octet > 255) return null;
    value = value * 256 + octet;
  }
  return value;
}

export function formatIPv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

/** The netmask of a prefix length as an unsigned 32-bit number. */
export function prefixMask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** Parses "a.b.c.d/n", refusing host bits; when host bits are set, `suggestion` is the corrected network. */
export function parseCidr(text: string): CidrResult {
  const slash = text.indexOf('/');
  if (slash < 0) return { ok: false, reason: 'is not a CIDR (expected address/prefix, e.g. 192.168.56.0/24)' };
  const addrText = text.slice(0, slash);
  const prefixText = text.slice(slash + 1);
  const addr = parseIPv4(addrText);
  if (addr === null) return { ok: false, reason: `has an invalid IPv4 address "${addrText}"` };
  if (!/^(0|[1-9]\d?)$/.test(prefixText) || Number(prefixText) > 32) {
    return { ok: false, reason: `has an invalid prefix length "${prefixText}" (expected 0-32)` };
  }
  const prefix = Number(prefixText);
  const network = (addr & prefixMask(prefix)) >>> 0;
  const canonical = `${formatIPv4(network)}/${prefix}`;
  if (network !== addr) {
    return { ok: false, reason: 'has host bits set', suggestion: canonical };
  }
  return { ok: true, cidr: { network, prefix, text: canonical } };
}

/** Number of addresses in the block (2^(32-prefix)). */
export function cidrSize(cidr: Cidr): number {
  return 2 ** (32 - cidr.prefix);
}

/** Last address of the block (the broadcast address for prefixes < 31). */
export function cidrLast(cidr: Cidr): number {
  return cidr.network + cidrSize(cidr) - 1;
}

export function cidrContains(cidr: Cidr, addr: number): boolean {
  return addr >= cidr.network && addr <= cidrLast(cidr);
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  return a.network <= cidrLast(b) && b.network <= cidrLast(a);
}
