// Dependency-free, so `@nembl/core/references` (used by the CLI bundle) pulls in no zod.

/** Secret names: lowercase alphanumeric words joined by single hyphens, 1–128 chars. */
export const SECRET_NAME_PATTERN = /^[a-z0-9]+(-[a-z0-9]+)*$/;
export const SECRET_NAME_MAX = 128;
