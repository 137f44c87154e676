// Row versions for the ReplacingMergeTree tables (registry, billing ledger): the newest wins.
let lastVersion = 0n;

/** Microseconds since the epoch, strictly increasing within this process. */
export function nextVersion(): bigint {
  const now = BigInt(Date.now()) * 1000n;
  lastVersion = now > lastVersion ? now : lastVersion + 1n;
  return lastVersion;
}
