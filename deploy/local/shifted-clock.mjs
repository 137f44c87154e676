// Preloaded (node --import) into every Node process of a run started under libfaketime, after
// bootstrap.mjs took libfaketime out of Node's LD_PRELOAD: it moves Node's wall clock by the offset
// libfaketime applied (TOLLGATE_CLOCK_OFFSET_MS), so `faketime -f '+100d' npm test` still runs all
// JavaScript 100 days ahead.
//
// Why not leave libfaketime in Node: the embedded ClickHouse engine (chDB, loaded into the Node
// process) reads the real clock through the vDSO, while libfaketime moves the deadlines of every
// pthread_cond_timedwait by the offset. chDB's periodic threads then time out at once and spin: a
// 300 ms migration test took 66 s. chDB sees the real clock either way, so only speed changes.
// (FAKETIME_SKIP_CMDS=node crashes V8 with libfaketime 0.9.10.)
const offset = Number(process.env.TOLLGATE_CLOCK_OFFSET_MS ?? 0);

if (Number.isFinite(offset) && offset !== 0 && !globalThis.Date.tollgateShifted) {
  const RealDate = globalThis.Date;
  const realNow = RealDate.now;
  const now = () => realNow() + offset;
  // A function rather than a subclass: dates made by native code (fs.Stats, other realms) keep
  // RealDate.prototype, and `instanceof Date` must stay true for them.
  function Date(...args) {
    if (!new.target) return new RealDate(now()).toString();
    return Reflect.construct(RealDate, args.length === 0 ? [now()] : args, new.target === Date ? RealDate : new.target);
  }
  Object.setPrototypeOf(Date, RealDate);
  Date.prototype = RealDate.prototype;
  Date.now = now;
  Date.parse = RealDate.parse;
  Date.UTC = RealDate.UTC;
  Date.tollgateShifted = true;
  globalThis.Date = Date;
}
