import { z } from 'zod';

/**
 * Deployment profile. `production` (the default) is the strictest: pinned
 * images, at least two replicas (three by default) or an HPA, a
 * PodDisruptionBudget, TLS on every exposure. `staging` keeps the same rules
 * at smaller sizes. `dev` runs one replica, allows mutable tags and leaves out
 * the HPA and PDB; every security default stays on in every profile.
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
  /** Whether a PodDisruptionBudget is created by default. */
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
  dev: { replicas: 1, autoscaling: false, pdb: false, mutableImages: true, requireTls: false, minReplicas: 1 },
};
