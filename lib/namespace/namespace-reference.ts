import { z } from 'zod';
import { dnsLabel } from '../core/schemas.js';
import { problem } from '../internal/props.js';
import { AgentNamespace } from './agent-namespace.js';

/**
 * A namespace given by name or as the {@link AgentNamespace} that creates it.
 * @see https://kubernetes.io/docs/concepts/overview/working-with-objects/namespaces/
 */
export type NamespaceReference = AgentNamespace | string;

/**
 * Runtime check of {@link NamespaceReference}; parses to the namespace name,
 * which must be a DNS-1123 label.
 */
export const namespaceReference = z
  .custom<NamespaceReference>((v) => typeof v === 'string' || v instanceof AgentNamespace, {
    error: (issue) =>
      problem(issue.input === undefined ? 'is required' : 'must be a namespace name or an AgentNamespace', "pass the name, like 'agents', or the AgentNamespace construct"),
  })
  .transform((v) => (typeof v === 'string' ? v : v.name))
  .pipe(dnsLabel);
