// Unit tests of the extension's pure modules (node's test runner): `node --test tests/webextension/`.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  bridgeUrlOf,
  createBridge,
  DEFAULT_MIN_SCORE,
  helloStatus,
  MIN_SCORES,
  minScoreOf,
  RETRY_MAX_MS,
  retryDelay,
  STATUS,
  statusOf,
} from "../../extension_bridge/webextension/lib/bridge.js";
import { createOutbox, enqueue, OUTBOX_LIMIT, worthRetrying } from "../../extension_bridge/webextension/lib/outbox.js";
import { debounce } from "../../extension_bridge/webextension/lib/debounce.js";
import {
  stackOverflowChoices,
  stackOverflowTag,
  topicsIn,
  weiboTopic,
} from "../../extension_bridge/webextension/lib/tags.js";

test("stack overflow tags are lowercase and hyphenated", () => {
  const table = [
    ["Python", "python"],
    ["  Ruby on Rails ", "ruby-on-rails"],
    ["c#", "c#"],
    ["C++", "c++"],
    ["node_js", "node-js"],
    ["<img src=x onerror=alert(1)>", ""], // left out, not reshaped into a new tag
    ["中文", ""],
    ["---", ""],
    ["a".repeat(35), "a".repeat(35)],
    ["a".repeat(36), ""], // cut, it would be another tag
  ];
  for (const [raw, expected] of table) assert.equal(stackOverflowTag(raw), expected, raw);
});

test("choices skip chosen tags and stop at five", () => {
  const s = (tag) => ({ tag, score: 0.5, source: "text", reason: "" });
  assert.deepEqual(
    stackOverflowChoices([s("Python"), s("pandas"), s("python")], ["python"]).map((c) => c.tag),
    ["pandas"],
  );
  assert.deepEqual(stackOverflowChoices([s("x")], ["a", "b", "c", "d", "e"]), []);
});

test("weibo topics are read and written as #topic#", () => {
  assert.deepEqual(topicsIn("今天 #中国女排# 赢了 #排球#"), ["中国女排", "排球"]);
  assert.equal(weiboTopic("中国#女排"), "#中国女排#");
  assert.equal(weiboTopic("#"), "");
});

test("debounce runs once after the pause, with the last arguments", async () => {
  const calls = [];
  const d = debounce((x) => calls.push(x), 20);
  d.call(1);
  d.call(2);
  d.call(3);
  assert.equal(d.pending, true);
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(calls, [3]);
});

function fakeFetch(answers) {
  const seen = [];
  const fetch = async (url, init) => {
    seen.push({ url, init });
    const next = answers.shift();
    if (next instanceof Error) throw next;
    const headers = new Map(Object.entries(next.headers || {}).map(([k, v]) => [k.toLowerCase(), v]));
    return { ok: next.status < 400, status: next.status, headers: { get: (name) => headers.get(name.toLowerCase()) ?? null }, json: async () => {
      if (next.body === undefined) throw new SyntaxError("not json");
      return next.body;
    } };
  };
  return { fetch, seen };
}

test("the client sends the API header and the token, and parses answers", async () => {
  const { fetch, seen } = fakeFetch([{ status: 200, body: { suggestions: [{ tag: "python" }] } }]);
  const bridge = createBridge({ url: "http://127.0.0.1:1234/", token: "tgr_x", fetch });
  const answer = await bridge.suggest({ site: "stackoverflow", title: "t" });
  assert.equal(answer.suggestions[0].tag, "python");
  assert.equal(seen[0].url, "http://127.0.0.1:1234/v1/suggest");
  assert.equal(seen[0].init.headers["X-Tagrec-Api"], "1");
  assert.equal(seen[0].init.headers.Authorization, "Bearer tgr_x");
  assert.equal(seen[0].init.credentials, "omit");
});

test("failures are told apart", async () => {
  const cases = [
    [new TypeError("Failed to fetch"), STATUS.offline],
    [{ status: 404, body: undefined }, STATUS.foreign],
    [{ status: 401, body: { error: { code: "unauthorized", message: "" } } }, STATUS.unpaired],
    [{ status: 401, body: { error: { code: "invalid_token", message: "" } } }, STATUS.revoked],
    [{ status: 400, body: { error: { code: "unsupported_api_version", message: "" } } }, STATUS.version],
    [{ status: 503, body: { error: { code: "model_loading", message: "" } } }, STATUS.loading],
  ];
  for (const [answer, expected] of cases) {
    const bridge = createBridge({ token: "t", fetch: fakeFetch([answer]).fetch });
    await assert.rejects(bridge.hello(), (error) => error.status === expected);
  }
  assert.equal(statusOf(500, ""), STATUS.foreign);
});

test("pairing calls carry no token", async () => {
  const { fetch, seen } = fakeFetch([{ status: 202, body: { request: "r", code: "123456", expires_in: 120 } }]);
  await createBridge({ token: "tgr_x", fetch }).pair("Chrome");
  assert.equal(seen[0].init.headers.Authorization, undefined);
});

test("hello tells pairing state and version skew", () => {
  const hello = { app: "tagrec", api: { min: 1, max: 1 }, token: "valid" };
  assert.equal(helloStatus(hello), STATUS.ready);
  assert.equal(helloStatus({ ...hello, token: "missing" }), STATUS.unpaired);
  assert.equal(helloStatus({ ...hello, token: "invalid" }), STATUS.revoked);
  assert.equal(helloStatus({ ...hello, api: { min: 2, max: 3 } }), STATUS.version);
  assert.equal(helloStatus({ app: "other" }), STATUS.foreign);
});

test("the lowest score to show is the stored one when it is a score, else the default", () => {
  assert.ok(MIN_SCORES.includes(DEFAULT_MIN_SCORE));
  for (const stored of [0, 0.05, 1]) assert.equal(minScoreOf(stored), stored);
  for (const stored of [undefined, null, "0.5", -0.1, 1.5, Number.NaN]) assert.equal(minScoreOf(stored), DEFAULT_MIN_SCORE);
});

// --- failures the extension recovers from: retry timing, timeouts, answers of the wrong shape, the outbox -----

test("errors that are not about the token or the version get a diagnosis, not ready", () => {
  assert.equal(statusOf(404, "not_found"), STATUS.address); // a path after the port
  assert.equal(statusOf(403, "forbidden_host"), STATUS.address); // another host name
  assert.equal(statusOf(429, "rate_limited"), STATUS.busy);
  assert.equal(statusOf(503, "busy"), STATUS.busy);
  assert.equal(statusOf(408, "timeout"), STATUS.busy);
  assert.equal(statusOf(503, "bad_model"), STATUS.problem);
  assert.equal(statusOf(400, "bad_request"), STATUS.problem);
  for (const [http, code] of [[404, "not_found"], [429, "rate_limited"], [503, "bad_model"], [400, "bad_input"]]) {
    assert.notEqual(statusOf(http, code), STATUS.ready, code);
  }
});

test("hello says loading while a model loads", () => {
  const hello = { app: "tagrec", api: { min: 1, max: 1 }, token: "valid" };
  const models = (a, b) => ({ stackoverflow: { state: a, error: null }, weibo: { state: b, error: null } });
  assert.equal(helloStatus({ ...hello, models: models("loading", "loading") }), STATUS.loading);
  assert.equal(helloStatus({ ...hello, models: models("ready", "loading") }), STATUS.loading);
  assert.equal(helloStatus({ ...hello, models: models("ready", "ready") }), STATUS.ready);
  assert.equal(helloStatus({ ...hello, token: "missing", models: models("loading", "ready") }), STATUS.unpaired);
});

test("retries wait for the app's Retry-After, else back off 1 s, 2 s, 4 s... up to 30 s", () => {
  assert.deepEqual([0, 1, 2, 3, 4].map((n) => retryDelay(n)), [1000, 2000, 4000, 8000, 16000]);
  assert.equal(retryDelay(5), RETRY_MAX_MS);
  assert.equal(retryDelay(100), RETRY_MAX_MS);
  assert.equal(retryDelay(3, 1), 1000); // Retry-After: 1
  assert.equal(retryDelay(0, 120), RETRY_MAX_MS);
  assert.equal(retryDelay(0, null), 1000);
});

test("an error answer carries the app's Retry-After", async () => {
  const answer = { status: 503, headers: { "Retry-After": "2" }, body: { error: { code: "busy", message: "" } } };
  const bridge = createBridge({ token: "t", fetch: fakeFetch([answer]).fetch });
  await assert.rejects(bridge.suggest({ site: "stackoverflow" }),
    (error) => error.status === STATUS.busy && error.retryAfter === 2 && error.httpStatus === 503);
});

test("a bridge that accepts the connection and never answers times out as unresponsive", async () => {
  const hang = (url, init) => new Promise((_, reject) => {
    init.signal.addEventListener("abort", () => reject(init.signal.reason));
  });
  const bridge = createBridge({ token: "t", fetch: hang, timeouts: { default: 50, feedback: 80 } });
  const keepAlive = setTimeout(() => {}, 5000); // AbortSignal.timeout's timer alone does not keep node running
  const started = Date.now();
  await assert.rejects(bridge.suggest({ site: "stackoverflow" }), (error) => error.status === STATUS.unresponsive);
  await assert.rejects(bridge.feedback({ site: "stackoverflow" }), (error) => error.status === STATUS.unresponsive);
  await assert.rejects(bridge.hello(), (error) => error.status === STATUS.unresponsive);
  assert.ok(Date.now() - started < 2000);
  clearTimeout(keepAlive);
});

test("a 200 JSON answer of another program is foreign, not suggestions", async () => {
  const other = { status: 200, body: { status: "ok", items: [] } };
  const bridge = createBridge({ token: "t", fetch: fakeFetch([other, other, other]).fetch });
  await assert.rejects(bridge.suggest({ site: "stackoverflow" }), (error) => error.status === STATUS.foreign);
  await assert.rejects(bridge.feedback({ site: "stackoverflow" }), (error) => error.status === STATUS.foreign);
  const bad = createBridge({ token: "t", fetch: fakeFetch([{ status: 200, body: { suggestions: [1] } }]).fetch });
  await assert.rejects(bad.suggest({ site: "stackoverflow" }), (error) => error.status === STATUS.foreign);
});

test("feedback worth sending again is told from feedback refused for good", () => {
  const error = (httpStatus, code) => ({ httpStatus, code });
  for (const kept of [error(0, ""), error(503, "busy"), error(503, "model_loading"), error(429, "rate_limited"),
    error(408, "timeout"), error(500, "internal"), error(404, "")]) assert.equal(worthRetrying(kept), true);
  for (const dropped of [error(400, "bad_feedback"), error(401, "invalid_token"), error(403, "forbidden_user"),
    error(413, "too_large")]) assert.equal(worthRetrying(dropped), false);
});

test("the outbox keeps at most its limit, dropping the oldest", () => {
  let queue = [];
  for (let i = 0; i < OUTBOX_LIMIT + 5; i++) queue = enqueue(queue, { n: i });
  assert.equal(queue.length, OUTBOX_LIMIT);
  assert.equal(queue[0].n, 5);
  assert.equal(queue.at(-1).n, OUTBOX_LIMIT + 4);
  assert.deepEqual(enqueue([{ n: 1 }, { n: 2 }], { n: 3 }, 2), [{ n: 2 }, { n: 3 }]);
});

function memoryStore() {
  const store = { saved: [] };
  store.load = async () => [...store.saved];
  store.save = async (queue) => { store.saved = [...queue]; };
  return store;
}

test("feedback the app cannot take waits in storage and goes out in order once it answers", async () => {
  const store = memoryStore();
  const delivered = [];
  let up = false;
  const send = async (event) => {
    if (!up) throw Object.assign(new Error("Failed to fetch"), { httpStatus: 0, code: "" });
    if (event.refused) throw Object.assign(new Error("bad"), { httpStatus: 400, code: "bad_feedback" });
    delivered.push(event.n);
    return { ok: true };
  };
  const outbox = createOutbox({ ...store, send });
  const first = await outbox.deliver({ n: 1 });
  assert.equal(first.queued, true);
  assert.equal((await outbox.deliver({ n: 2 })).queued, true);
  assert.equal((await outbox.deliver({ n: 3, refused: true })).queued, true);
  assert.deepEqual(store.saved.map((e) => e.n), [1, 2, 3]);
  // The worker is stopped and started again: a new outbox over the same storage still has them.
  const again = createOutbox({ ...store, send });
  assert.equal(await again.size(), 3);
  assert.equal(await again.flush(), 3); // still down: nothing lost
  up = true;
  assert.deepEqual(await again.deliver({ n: 4 }), { delivered: true }); // behind what waits: the order is kept
  assert.deepEqual(delivered, [1, 2, 4]); // 3 was refused for good: dropped, not retried
  assert.deepEqual(store.saved, []);
  assert.equal((await again.deliver({ n: 5, refused: true })).dropped, true);
  assert.deepEqual(store.saved, []);
});

test("a busy app keeps the feedback for later; what the app took is not sent twice", async () => {
  const store = memoryStore();
  const seen = [];
  let busyFor = 2;
  const send = async (event) => {
    seen.push(event.n);
    if (busyFor-- > 0) throw Object.assign(new Error("busy"), { httpStatus: 503, code: "busy", retryAfter: 1 });
  };
  const outbox = createOutbox({ ...store, send });
  await outbox.deliver({ n: 1 });
  await outbox.deliver({ n: 2 });
  assert.equal(await outbox.flush(), 0);
  assert.deepEqual(seen, [1, 1, 1, 2]);
  assert.equal(await outbox.flush(), 0);
  assert.deepEqual(seen, [1, 1, 1, 2]);
});

test("an event sent again carries the key it got before it was first sent, also after a restart", async () => {
  const store = memoryStore();
  const sent = [];
  let answering = false;
  const send = async (event) => {
    sent.push(event);
    // No answer in time: the app may have written it all the same.
    if (!answering) throw Object.assign(new Error("no answer"), { httpStatus: 0, code: "" });
  };
  let n = 0;
  const newKey = () => `key-${++n}`;
  const outbox = createOutbox({ ...store, send, newKey });
  assert.equal((await outbox.deliver({ n: 1 })).queued, true);
  assert.equal((await outbox.deliver({ n: 2, key: "given" })).queued, true); // a key given is kept
  assert.deepEqual(store.saved.map((e) => e.key), ["key-1", "given"]);
  const again = createOutbox({ ...store, send, newKey }); // the worker was stopped and started again
  assert.equal(await again.flush(), 2);
  answering = true;
  assert.deepEqual(await again.deliver({ n: 3 }), { delivered: true });
  assert.deepEqual(sent.map((e) => [e.n, e.key]),
    [[1, "key-1"], [1, "key-1"], [1, "key-1"], [1, "key-1"], [2, "given"], [3, "key-2"]]);
  assert.equal(await again.size(), 0);
});

test("events an older version queued without a key get one, kept before they are sent", async () => {
  const store = memoryStore();
  store.saved = [{ n: 1 }];
  const sent = [];
  const send = async (event) => {
    sent.push(event.key);
    throw Object.assign(new Error("no answer"), { httpStatus: 0, code: "" });
  };
  const outbox = createOutbox({ ...store, send, newKey: () => crypto.randomUUID() });
  await outbox.flush();
  await outbox.flush();
  assert.equal(sent.length, 2);
  assert.match(sent[0], /^[0-9a-f-]{36}$/);
  assert.equal(sent[1], sent[0]);
  assert.deepEqual(store.saved, [{ n: 1, key: sent[0] }]);
});

test("a bridge address is http://127.0.0.1 or localhost with a port and nothing after it", () => {
  assert.equal(bridgeUrlOf(" http://127.0.0.1:24612/ "), "http://127.0.0.1:24612");
  assert.equal(bridgeUrlOf("http://localhost:24519"), "http://localhost:24519");
  for (const bad of ["garbage", "127.0.0.1:24612", "not a url at all", "https://127.0.0.1:24612",
                     "http://127.0.0.1:24612/v1", "http://example.com:24519", "http://127.0.0.1:1?x=1", ""]) {
    assert.equal(bridgeUrlOf(bad), null, bad);
  }
});
