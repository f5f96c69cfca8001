/** All stored times are ISO-8601 UTC with milliseconds; this is the one place that makes them. */
export const nowIso = (): string => new Date().toISOString();
export const isoAfter = (seconds: number): string => new Date(Date.now() + seconds * 1000).toISOString();
