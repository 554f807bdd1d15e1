// Kubernetes naming and quantity rules the manifests must respect (pure).
// Names are derived from model names, which allow dots, underscores and capitals that Kubernetes does not.
import { createHash } from 'node:crypto';
import { RepoError } from '../errors';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

const shortHash = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, 8);

/** True for an RFC 1123 label (Service, container and most object names): [a-z0-9-], <= 63, alnum at both ends. */
export function isDnsLabel(name: string): boolean {
  return name.length <= 63 && DNS_LABEL.test(name);
}

/** True for an RFC 1123 subdomain (Secret, Pod names): labels joined by dots, <= 253. */
export function isDnsSubdomain(name: string): boolean {
  return name.length <= 253 && DNS_SUBDOMAIN.test(name);
}

/**
 * A valid DNS label derived from free text: `llama-3-8b.Q5_K_M` -> `llama-3-8b-q5-k-m`.
 * Too long: cut and suffixed with a hash of the whole text, so two long names stay distinct.
 */
export function dnsLabel(text: string, maxLength = 63): string {
  const cleaned = text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  if (cleaned.length === 0) return `model-${shortHash(text)}`;
  if (cleaned.length <= maxLength) return cleaned;
  const head = cleaned.slice(0, maxLength - 9).replace(/-+$/, '');
  return `${head}-${shortHash(text)}`;
}

/** A DNS-1035 label (Service and InferenceService names): a DNS label that starts with a letter. */
export function dns1035Label(text: string, maxLength = 63): string {
  const label = dnsLabel(text, maxLength);
  return /^[a-z]/.test(label) ? label : dnsLabel(`m-${label}`, maxLength);
}

/** A valid label value derived from free text (versions like `1.2.0+build` carry a '+'). */
export function labelValue(text: string): string {
  if (text.length <= 63 && LABEL_VALUE.test(text)) return text;
  const cleaned = text.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
  if (cleaned.length <= 63) return cleaned;
  return `${cleaned.slice(0, 54).replace(/[^A-Za-z0-9]+$/, '')}-${shortHash(text)}`;
}

/** Throws InvalidName unless `name` is a DNS label (what = 'namespace', 'name', ...). */
export function checkDnsLabel(what: string, name: string): string {
  if (!isDnsLabel(name)) {
    throw new RepoError('InvalidName', `use ${what}`, `'${name}'`,
      'it must be at most 63 characters of a-z, 0-9 and -, starting and ending with a letter or digit');
  }
  return name;
}

/** Throws InvalidName unless `name` is a DNS-1035 label (it names a Service). */
export function checkDns1035Label(what: string, name: string): string {
  checkDnsLabel(what, name);
  if (!/^[a-z]/.test(name)) {
    throw new RepoError('InvalidName', `use ${what}`, `'${name}'`, 'it names a Service, so it must start with a letter');
  }
  return name;
}

export function checkDnsSubdomain(what: string, name: string): string {
  if (!isDnsSubdomain(name)) {
    throw new RepoError('InvalidName', `use ${what}`, `'${name}'`,
      'it must be at most 253 characters of a-z, 0-9, - and ., each part starting and ending with a letter or digit');
  }
  return name;
}

const MIB = 1024 * 1024;

/** Bytes as a Kubernetes quantity in whole MiB, rounded up (`4.6 GiB` -> `4711Mi`). */
export function mebibytes(bytes: number): string {
  return `${Math.max(1, Math.ceil(bytes / MIB))}Mi`;
}
