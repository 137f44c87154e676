// One kind of fault of the suite: it picks its victim with the suite's seeded random source,
// injects the fault, brings the victim back, and says what it did for the report.
export interface Fault {
  name: string;
  inject(random: () => number): Promise<string>;
}
