// Feedback that could not be delivered (the app offline, loading or busy) waits here and is sent again, in
// order, when the app answers. Pure: the store (`load`/`save` of the list, chrome.storage.local in the service
// worker, which the browser may stop at any time) and `send` are passed in.
//
// A request that got no answer in time may still have been written by the app (it was slow, not down), so each
// event gets a unique `key` once, before it is first sent, and keeps it while it waits: the app stores an event
// whose key it already holds only once (docs/bridge.md), and sending again is safe.

export const OUTBOX_LIMIT = 200;

/**
 * Whether a failed delivery may succeed later: no answer at all (not running, not responding), an answer that
 * is not tagrec's (a wrong address the user may fix), 408, 429 or a server-side error (busy, model loading).
 * tagrec's own refusal of the event (another 4xx: bad feedback, revoked token...) is final.
 */
export function worthRetrying(error) {
  const http = (error && error.httpStatus) || 0;
  if (!http || !(error && error.code)) return true;
  if (http === 408 || http === 429 || http >= 500) return true;
  return !(http >= 400 && http < 500);
}

/** `queue` with `event` added at the end; the oldest events are dropped beyond `limit`. */
export function enqueue(queue, event, limit = OUTBOX_LIMIT) {
  const next = [...(Array.isArray(queue) ? queue : []), event];
  return next.length > limit ? next.slice(next.length - limit) : next;
}

/** `event` with a `key` of its own: the one it has, else a new one from `newKey()`. */
export function keyed(event, newKey) {
  return typeof event.key === "string" && event.key ? event : { ...event, key: newKey() };
}

/**
 * An outbox over `store` ({ load() -> list, save(list) }) that delivers with `send(event)` (resolves when
 * delivered, rejects with an error `worthRetrying` judges). Its operations run one at a time, in call order.
 * Every event is given its `key` (`keyed`, with `newKey`, a random UUID by default) before it is first sent.
 * Returns { deliver(event), flush(), size() }:
 *   deliver: send now if nothing waits, else queue behind what waits (order is kept) and flush;
 *            resolves to { delivered: true } or { queued: true } or { dropped: true, error }.
 *   flush: send what waits, oldest first, until one fails in a way worth retrying; resolves to what is left.
 */
export function createOutbox({ load, save, send, limit = OUTBOX_LIMIT, newKey = () => crypto.randomUUID() }) {
  let chain = Promise.resolve();
  const serial = (fn) => {
    const run = chain.then(fn, fn);
    chain = run.catch(() => {});
    return run;
  };

  async function flushNow() {
    let queue = (await load()) || [];
    if (queue.some((event) => !event.key)) {
      queue = queue.map((event) => keyed(event, newKey)); // queued by a version that gave no keys: kept now
      await save(queue);
    }
    while (queue.length) {
      try {
        await send(queue[0]);
      } catch (error) {
        if (worthRetrying(error)) break;
      }
      queue = queue.slice(1);
      await save(queue);
    }
    return queue.length;
  }

  return {
    deliver: (given) =>
      serial(async () => {
        const event = keyed(given, newKey);
        const waiting = (await load()) || [];
        if (waiting.length) {
          await save(enqueue(waiting, event, limit));
          const left = await flushNow();
          return left ? { queued: true } : { delivered: true };
        }
        try {
          await send(event);
          return { delivered: true };
        } catch (error) {
          if (!worthRetrying(error)) return { dropped: true, error };
          await save(enqueue(await load(), event, limit));
          return { queued: true, error };
        }
      }),
    flush: () => serial(flushNow),
    size: () => serial(async () => ((await load()) || []).length),
  };
}
