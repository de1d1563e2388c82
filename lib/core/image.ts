import { z } from 'zod';
import { problem } from '../internal/props.js';
import type { Profile } from './profile.js';

/** A parsed container image reference. */
export interface ImageRef {
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: string;
}

// Docker reference grammar (distribution/reference), reduced to what a pod spec accepts.
const IMAGE = /^((?:[a-zA-Z0-9-]+\.)*[a-zA-Z0-9-]+(?::\d+)?\/)?([a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*)(?::([\w][\w.-]{0,127}))?(?:@(sha256:[a-f0-9]{64}))?$/;

/** Parses an image reference; undefined when it is not one. */
export function parseImage(image: string): ImageRef | undefined {
  const m = IMAGE.exec(image);
  if (!m) return undefined;
  return { repository: `${m[1] ?? ''}${m[2]}`, tag: m[3], digest: m[4] };
}

/** True when the image names a mutable version: untagged or `:latest`, without a digest. */
export function isMutableImage(ref: ImageRef): boolean {
  return !ref.digest && (ref.tag === undefined || ref.tag === 'latest');
}

/** A syntactically valid image reference. */
export const imageReference = z.string().refine((s) => parseImage(s) !== undefined, {
  error: problem('is not a container image reference', "write it like 'registry.example.com/team/app:1.2.3' or pin a digest '@sha256:...'"),
});

/**
 * Adds the profile rule for an image at `path`: outside `dev`, untagged and
 * `:latest` images are rejected.
 */
export function checkImageForProfile(
  ctx: z.RefinementCtx,
  image: string,
  profile: Profile,
  path: (string | number)[],
): void {
  const ref = parseImage(image);
  if (!ref || profile === 'dev') return;
  if (isMutableImage(ref)) {
    ctx.addIssue({
      code: 'custom',
      path,
      message: problem(
        `is a mutable image (${ref.tag === 'latest' ? ':latest' : 'untagged'}) in the ${profile} profile`,
        "pin a version tag like ':1.2.3' or a digest '@sha256:...', or use profile 'dev'",
      ),
    });
  }
}
