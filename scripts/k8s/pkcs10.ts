/**
 * Just enough of PKCS#10 (RFC 2986) to judge a kubelet-serving CSR: the subject's CN and O, and the
 * subjectAltName of the extensionRequest attribute. Node's crypto parses certificates, not requests, so this reads
 * the DER itself. Anything malformed throws.
 */

interface Tlv {
  /** The identifier octet (class, constructed bit, tag number < 31). */
  tag: number;
  /** Content bytes. */
  value: Buffer;
}

const OID_CN = '2.5.4.3';
const OID_O = '2.5.4.10';
const OID_EXTENSION_REQUEST = '1.2.840.113549.1.9.14';
const OID_SUBJECT_ALT_NAME = '2.5.29.17';

const SEQUENCE = 0x30;
const SET = 0x31;
const OID = 0x06;
const OCTET_STRING = 0x04;
const ATTRIBUTES = 0xa0; // [0] IMPLICIT SET OF Attribute

function readTlv(buf: Buffer, at: number): { tlv: Tlv; next: number } {
  if (at + 2 > buf.length) throw new Error('truncated DER');
  const tag = buf[at]!;
  if ((tag & 0x1f) === 0x1f) throw new Error('unsupported DER tag');
  let len = buf[at + 1]!;
  let start = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || start + n > buf.length) throw new Error('bad DER length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[start + i]!;
    start += n;
  }
  if (start + len > buf.length) throw new Error('truncated DER');
  return { tlv: { tag, value: buf.subarray(start, start + len) }, next: start + len };
}

function children(value: Buffer): Tlv[] {
  const out: Tlv[] = [];
  for (let at = 0; at < value.length; ) {
    const { tlv, next } = readTlv(value, at);
    out.push(tlv);
    at = next;
  }
  return out;
}

function expect(tlv: Tlv | undefined, tag: number, what: string): Tlv {
  if (!tlv || tlv.tag !== tag) throw new Error(`expected ${what}`);
  return tlv;
}

function oid(value: Buffer): string {
  const parts: number[] = [];
  let n = 0;
  for (const b of value) {
    n = n * 128 + (b & 0x7f);
    if (!(b & 0x80)) {
      if (parts.length === 0) parts.push(n < 80 ? Math.floor(n / 40) : 2, n < 80 ? n % 40 : n - 80);
      else parts.push(n);
      n = 0;
    }
  }
  return parts.join('.');
}

function ip(bytes: Buffer): string {
  if (bytes.length === 4) return [...bytes].join('.');
  if (bytes.length === 16) {
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i).toString(16));
    return groups.join(':');
  }
  throw new Error(`an IP address of ${bytes.length} bytes`);
}

export interface SubjectAltNames {
  dns: string[];
  ip: string[];
  email: string[];
  uri: string[];
  /** Other GeneralName kinds (otherName, directoryName, ...), by context tag number. */
  other: number[];
}

export interface CertificateRequestInfo {
  /** Every CN of the subject (normally one). */
  commonNames: string[];
  organizations: string[];
  san: SubjectAltNames;
}

/** The DER of a "CERTIFICATE REQUEST" PEM (or the DER itself). */
export function csrDer(request: Buffer | string): Buffer {
  const text = typeof request === 'string' ? request : request.toString('latin1');
  const m = /-----BEGIN (?:NEW )?CERTIFICATE REQUEST-----([\s\S]*?)-----END (?:NEW )?CERTIFICATE REQUEST-----/.exec(text);
  if (m) return Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64');
  if (typeof request === 'string') throw new Error('not a PEM certificate request');
  return request;
}

function generalNames(value: Buffer): SubjectAltNames {
  const san: SubjectAltNames = { dns: [], ip: [], email: [], uri: [], other: [] };
  for (const name of children(expect(readTlv(value, 0).tlv, SEQUENCE, 'GeneralNames').value)) {
    const n = name.tag & 0x1f;
    if (name.tag === 0x82) san.dns.push(name.value.toString('latin1'));
    else if (name.tag === 0x87) san.ip.push(ip(name.value));
    else if (name.tag === 0x81) san.email.push(name.value.toString('latin1'));
    else if (name.tag === 0x86) san.uri.push(name.value.toString('latin1'));
    else san.other.push(n);
  }
  return san;
}

/** Subject CN/O and subjectAltName of a PKCS#10 request (PEM or DER). */
export function parseCertificateRequest(request: Buffer | string): CertificateRequestInfo {
  const der = csrDer(request);
  const top = expect(readTlv(der, 0).tlv, SEQUENCE, 'CertificationRequest');
  const info = expect(children(top.value)[0], SEQUENCE, 'CertificationRequestInfo');
  const [, subject, , attributes] = children(info.value);

  const out: CertificateRequestInfo = { commonNames: [], organizations: [], san: { dns: [], ip: [], email: [], uri: [], other: [] } };
  for (const rdn of children(expect(subject, SEQUENCE, 'subject Name').value)) {
    for (const atv of children(expect(rdn, SET, 'RelativeDistinguishedName').value)) {
      const [type, value] = children(expect(atv, SEQUENCE, 'AttributeTypeAndValue').value);
      const id = oid(expect(type, OID, 'attribute type').value);
      const text = value?.value.toString('utf8') ?? '';
      if (id === OID_CN) out.commonNames.push(text);
      else if (id === OID_O) out.organizations.push(text);
    }
  }
  if (!attributes) return out;
  for (const attr of children(expect(attributes, ATTRIBUTES, 'attributes').value)) {
    const [type, values] = children(expect(attr, SEQUENCE, 'Attribute').value);
    if (oid(expect(type, OID, 'attribute type').value) !== OID_EXTENSION_REQUEST) continue;
    for (const extensions of children(expect(values, SET, 'attribute values').value)) {
      for (const ext of children(expect(extensions, SEQUENCE, 'Extensions').value)) {
        const parts = children(expect(ext, SEQUENCE, 'Extension').value);
        if (oid(expect(parts[0], OID, 'extension id').value) !== OID_SUBJECT_ALT_NAME) continue;
        const octets = expect(parts[parts.length - 1], OCTET_STRING, 'extension value');
        const san = generalNames(octets.value);
        for (const k of ['dns', 'ip', 'email', 'uri', 'other'] as const) (out.san[k] as unknown[]).push(...san[k]);
      }
    }
  }
  return out;
}
