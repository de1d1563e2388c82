import { z } from 'zod';
import { problem } from '../internal/props.js';
import { BYTES_PATTERN, CPU_PATTERN } from './quantity.js';

/**
 * Shared zod schemas for the values Kubernetes constrains. Each rejects bad
 * input with a message that says what is wrong and how to fix it.
 */

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

/**
 * A DNS-1123 subdomain's characters (the 253-character limit is checked
 * apart): the names the API server accepts for most kinds. Shared with the
 * schema layer of `validation/`.
 */
export const DNS1123_SUBDOMAIN_PATTERN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** A DNS-1123 label (namespaces, most object names): lowercase, digits and `-`, at most 63 characters. */
export const dnsLabel = z
  .string()
  .max(63, { error: problem('is longer than 63 characters', 'shorten it to a DNS-1123 label of at most 63 characters') })
  .regex(DNS1123_LABEL, {
    error: problem('is not a DNS-1123 label', "use lowercase letters, digits and '-', starting and ending with a letter or digit"),
  });

/**
 * A workload name: a DNS-1035 label (it also names the Service) of at most 47
 * characters, so that Deployment pod names (`<name>-<10>-<5>`) stay within 63.
 */
export const workloadName = z
  .string()
  .max(47, { error: problem('is longer than 47 characters', 'shorten it: pod names add 16 characters and must stay within 63') })
  .regex(DNS1035_LABEL, {
    error: problem('is not a DNS-1035 label', "use lowercase letters, digits and '-', starting with a letter and ending with a letter or digit"),
  });

/** A DNS-1123 subdomain (ConfigMap, Secret, PVC names): at most 253 characters. */
export const dnsSubdomain = z
  .string()
  .max(253, { error: problem('is longer than 253 characters', 'shorten it') })
  .regex(DNS1123_SUBDOMAIN_PATTERN, {
    error: problem('is not a DNS-1123 subdomain', "use lowercase letters, digits, '-' and '.'"),
  });

/** A CPU quantity such as `500m` or `2`. */
export const cpuQuantity = z.string().regex(CPU_PATTERN, {
  error: problem('is not a CPU quantity', "use millicores like '500m' or cores like '2'"),
});

/** A memory or storage quantity such as `512Mi` or `2Gi`. */
export const bytesQuantity = z.string().regex(BYTES_PATTERN, {
  error: problem('is not a byte quantity', "use a Kubernetes quantity like '512Mi' or '2Gi' (binary suffixes Ki, Mi, Gi)"),
});

/** A TCP/UDP port number. */
export const portNumber = z
  .number({ error: problem('must be a port number', 'use an integer from 1 to 65535') })
  .int({ error: problem('must be an integer', 'use an integer from 1 to 65535') })
  .min(1, { error: problem('is out of range', 'use an integer from 1 to 65535') })
  .max(65535, { error: problem('is out of range', 'use an integer from 1 to 65535') });

/** The characters of an IANA_SVC_NAME: lowercase letters, digits and `-`, not first or last. */
const IANA_SVC_NAME_CHARS = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

/**
 * Whether `s` is an IANA_SVC_NAME (RFC 6335), as the API server checks port
 * names: at most 15 characters, lowercase letters, digits and `-` (not first
 * or last), at least one letter, no `--`. The one definition behind the
 * {@link portName} schema and the validation layer's Service port checks.
 */
export function isIanaServiceName(s: string): boolean {
  return s.length <= 15 && IANA_SVC_NAME_CHARS.test(s) && /[a-z]/.test(s) && !s.includes('--');
}

/** An IANA_SVC_NAME ({@link isIanaServiceName}), with a message for each broken rule. */
export const portName = z
  .string()
  .max(15, { error: problem('is longer than 15 characters', 'port names are IANA service names of at most 15 characters') })
  .regex(IANA_SVC_NAME_CHARS, {
    error: problem('is not an IANA service name', "use lowercase letters, digits and '-', like 'http' or 'metrics'"),
  })
  // The remaining rules (a letter, no '--'), once length and characters pass.
  .refine(isIanaServiceName, {
    error: problem('is not an IANA service name', "include a letter and no '--', like 'http' or 'metrics'"),
    when: (payload) => payload.issues.length === 0,
  });

/** An HTTP path starting with `/`. */
export const httpPath = z.string().regex(/^\/[^\s]*$/, {
  error: problem('must start with "/" and contain no spaces', "write it like '/healthz'"),
});

/**
 * An environment variable name a POSIX shell can read: letters, digits and
 * `_`, not starting with a digit. Kubernetes also accepts `-` and `.`, but an
 * entrypoint script could never read such a variable.
 */
export const envVarName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, {
  error: problem('is not a variable name a POSIX shell can read', "use letters, digits and '_', not starting with a digit, like 'LOG_LEVEL'"),
});

/**
 * A label value's characters (at most 63 characters, checked apart): empty,
 * or alphanumeric at both ends with `-`, `_` and `.` between. Shared with the
 * policy layer of `validation/` (WKL-05).
 */
export const LABEL_VALUE_PATTERN = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/**
 * A label key: an optional DNS-1123 subdomain prefix and `/` (its 253-character
 * limit checked apart), then a name of at most 63 characters. Shared with the
 * policy layer of `validation/` (WKL-05).
 */
export const LABEL_KEY_PATTERN = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

/** A label map with valid keys and values. */
export const labelMap = z.record(
  z.string().regex(LABEL_KEY_PATTERN, { error: problem('is not a valid label key', "use an optional DNS prefix and '/', then up to 63 letters, digits, '-', '_' or '.'") }),
  z
    .string()
    .max(63, { error: problem('is longer than 63 characters', 'label values are at most 63 characters') })
    .regex(LABEL_VALUE_PATTERN, { error: problem('is not a valid label value', "use letters, digits, '-', '_' and '.', starting and ending alphanumeric") }),
);

/** A positive integer count of seconds. */
export const seconds = z.number().int().min(0);

/** A hostname (no scheme, no path, no port); `*.` wildcards allowed. */
export const hostname = z
  .string()
  .refine((h) => !/^[a-z]+:\/\//i.test(h), {
    error: problem('must not include a scheme', "drop 'https://' and give the bare host, like 'agents.example.com'"),
    abort: true,
  })
  // The API server rejects an IP address as an Ingress host or HTTPRoute hostname.
  .refine((h) => !/^\d{1,3}(\.\d{1,3}){3}$/.test(h) && !h.includes(':'), {
    error: problem('is an IP address', "give a DNS name like 'agents.example.com' (an Ingress or HTTPRoute host cannot be an IP)"),
    abort: true,
  })
  .refine((h) => /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$/.test(h), {
    error: problem('is not a DNS hostname', "give a lowercase fully qualified host like 'agents.example.com'"),
  });

/** A CIDR block (IPv4 or IPv6). */
export const cidr = z.string().refine((s) => isCidr(s), { error: problem('is not a CIDR block', "write it like '10.0.0.0/8' or '2001:db8::/32'") });

function isCidr(s: string): boolean {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(s);
  if (!m) return false;
  const bits = Number(m[2]);
  const ip = m[1]!;
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(ip)) return bits <= 32 && ip.split('.').every((o) => Number(o) <= 255);
  return ip.includes(':') && /^[0-9a-fA-F:]+$/.test(ip) && bits <= 128;
}
