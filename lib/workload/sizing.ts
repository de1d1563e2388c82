import { z } from 'zod';

/**
 * Sizing presets, the SARK guide's tiers (small < 100 rps, medium 100-500,
 * large 500-1000, xlarge > 1000), with ephemeral storage added so that every
 * container is bounded on all three resources.
 */
export const SIZING_PRESETS = {
  small: { requests: { cpu: '250m', memory: '512Mi', ephemeralStorage: '128Mi' }, limits: { cpu: '500m', memory: '1Gi', ephemeralStorage: '1Gi' } },
  medium: { requests: { cpu: '500m', memory: '1Gi', ephemeralStorage: '256Mi' }, limits: { cpu: '1', memory: '2Gi', ephemeralStorage: '2Gi' } },
  large: { requests: { cpu: '1', memory: '2Gi', ephemeralStorage: '512Mi' }, limits: { cpu: '2', memory: '4Gi', ephemeralStorage: '4Gi' } },
  xlarge: { requests: { cpu: '2', memory: '4Gi', ephemeralStorage: '1Gi' }, limits: { cpu: '4', memory: '8Gi', ephemeralStorage: '8Gi' } },
} as const;

/** Name of a sizing preset. */
export const sizingPresetSchema = z.enum(['small', 'medium', 'large', 'xlarge']);

/** See {@link sizingPresetSchema}. */
export type SizingPreset = z.infer<typeof sizingPresetSchema>;
