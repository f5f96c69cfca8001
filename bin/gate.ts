export {};
// Entry of the `gate` client.
await import('../cli/main');
