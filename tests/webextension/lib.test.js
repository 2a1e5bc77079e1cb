// Unit tests of the extension's pure modules (node's test runner): `node --test tests/webextension/`.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  createBridge,
  DEFAULT_MIN_SCORE,
  helloStatus,
  MIN_SCORES,
  minScoreOf,
  STATUS,
  statusOf,
} from "../../extension_bridge/webextension/lib/bridge.js";
import { debounce, latestOnly } from "../../extension_bridge/webextension/lib/debounce.js";
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
    ["<img src=x onerror=alert(1)>", "img-srcx-onerroralert1"],
    ["---", ""],
    ["a".repeat(50), "a".repeat(35)],
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

test("only the newest answer is delivered", async () => {
  const slow = latestOnly(async (ms) => {
    await new Promise((r) => setTimeout(r, ms));
    return ms;
  }, "stale");
  const [a, b] = await Promise.all([slow(40), slow(5)]);
  assert.deepEqual([a, b], ["stale", 5]);
});

function fakeFetch(answers) {
  const seen = [];
  const fetch = async (url, init) => {
    seen.push({ url, init });
    const next = answers.shift();
    if (next instanceof Error) throw next;
    return { ok: next.status < 400, status: next.status, json: async () => {
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
