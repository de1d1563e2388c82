import { isMutableImage, parseImage } from '../core/image.js';
import { waiverAnnotations } from './construct.js';

/**
 * What the `dev` profile relaxes. The schemas accept these states only in
 * `dev`; the verification would still block them (a single replica, AVL-01;
 * a mutable tag, IMG-01; plain HTTP, NET-07), so the object records each
 * relaxation as a waiver with the reason below. Synth then passes, and the
 * verification reports every relaxation as waived: nothing is loosened
 * silently.
 */
export const DEV_PROFILE_RELAXATIONS = {
  singleReplica: {
    check: 'AVL-01',
    reason: "profile 'dev' runs a single replica, so a restart is a short outage; staging and production run two or more",
  },
  mutableImage: {
    check: 'IMG-01',
    reason: "profile 'dev' accepts mutable image tags; staging and production require a version tag or a digest",
  },
  plainHttp: {
    check: 'NET-07',
    reason: "profile 'dev' may expose the app over plain HTTP; staging and production require TLS",
  },
} as const;

/** A relaxation of the `dev` profile. */
export type DevRelaxation = keyof typeof DEV_PROFILE_RELAXATIONS;

/** The waiver annotations of the relaxations that apply, in the `dev` profile only (none in any other). */
export function devProfileWaivers(profile: string, applies: Partial<Record<DevRelaxation, boolean>>): Record<string, string> {
  if (profile !== 'dev') return {};
  const out: Record<string, string> = {};
  for (const [key, on] of Object.entries(applies) as [DevRelaxation, boolean][]) {
    if (on) Object.assign(out, waiverAnnotations([DEV_PROFILE_RELAXATIONS[key].check], DEV_PROFILE_RELAXATIONS[key].reason));
  }
  return out;
}

/** Whether any of the images is mutable (untagged or `:latest`, without a digest). */
export function anyMutableImage(images: readonly string[]): boolean {
  return images.some((image) => {
    const ref = parseImage(image);
    return ref !== undefined && isMutableImage(ref);
  });
}
