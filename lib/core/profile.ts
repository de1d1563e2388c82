import { z } from 'zod';

/**
 * Deployment profile. `production` (the default) is the strictest: pinned
 * images, at least two replicas (three by default) or an HPA, a
 * PodDisruptionBudget, TLS on every exposure. `staging` keeps the same rules
 * at smaller sizes. `dev` runs one replica by default, allows mutable tags and
 * plain-HTTP exposure, and has no HPA (a PDB only when more than one pod
 * runs); each relaxation is recorded on its object as a waiver, which the
 * verification reports. Every security default stays on in every profile.
 */
export const profileSchema = z.enum(['dev', 'staging', 'production']);

/** See {@link profileSchema}. */
export type Profile = z.infer<typeof profileSchema>;

/** Per-profile defaults, in one place. */
export interface ProfileDefaults {
  /** Static replica count when autoscaling is off. */
  readonly replicas: number;
  /** Default autoscaling range, or false for none. */
  readonly autoscaling: { readonly minReplicas: number; readonly maxReplicas: number } | false;
  /** Whether a PodDisruptionBudget is created by default, as soon as more than one pod may run. */
  readonly pdb: boolean;
  /** Whether mutable image tags (`:latest`, untagged) are accepted. */
  readonly mutableImages: boolean;
  /** Whether exposure must carry TLS. */
  readonly requireTls: boolean;
  /** Minimum replicas (static or HPA minimum). */
  readonly minReplicas: number;
}

export const PROFILE_DEFAULTS: Readonly<Record<Profile, ProfileDefaults>> = {
  production: { replicas: 3, autoscaling: { minReplicas: 3, maxReplicas: 10 }, pdb: true, mutableImages: false, requireTls: true, minReplicas: 2 },
  staging: { replicas: 2, autoscaling: { minReplicas: 2, maxReplicas: 4 }, pdb: true, mutableImages: false, requireTls: true, minReplicas: 2 },
  dev: { replicas: 1, autoscaling: false, pdb: true, mutableImages: true, requireTls: false, minReplicas: 1 },
};
