/**
 * Keeps a load generator's event loop from ever sleeping while it measures, when it runs pinned to its
 * own core (processes.ts then sets `BENCH_LOAD_POLL=1`). On loopback, a response written to a client that
 * sleeps in `epoll_wait` makes the server's own `writev` wake the client's CPU (an inter-processor
 * interrupt; on a virtual machine, an exit to the hypervisor), and the server pays for it in kernel time,
 * on every response the client was idle for: a cost of the bench's wiring, not of the service, which
 * behind a real network hands its bytes to the network card. A generator that polls leaves the server its
 * own work only (docs/benchmark.md). Unpinned, it would take CPU from the server instead, so it sleeps as
 * before, and so it does in the phases whose requests make Postgres work (`LoadParams.sleeps`), which
 * needs that core too. Its own CPU share then reads 100 %: the server's share tells whether the server
 * was the limit.
 */
export function keepAwake(): () => void {
  if (process.env.BENCH_LOAD_POLL !== '1') return () => undefined;
  let awake = true;
  const turn = (): void => {
    if (awake) setImmediate(turn);
  };
  setImmediate(turn);
  return () => {
    awake = false;
  };
}
