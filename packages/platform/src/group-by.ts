// Grouping items by a key in one pass, in first-seen order: billing's runs group 10 000 customers'
// rows by consumer, the tap's Kafka transport groups batches by leader broker. No dependencies, so
// the tap's sink worker can import it (`@tollgate/platform/group-by`) without loading the rest.

/** Items grouped by `keyOf`, groups in the order their first item appears, items in input order. */
export function groupBy<T, K>(items: Iterable<T>, keyOf: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  return groups;
}
