// The bridge protocol (docs/bridge.md) as a small client. Pure: `fetch` is passed in, so node tests drive it
// with a fake server function and the service worker with the real fetch.

export const API_VERSION = "1";
export const DEFAULT_URL = "http://127.0.0.1:24519";
// Suggestions scored below this are not shown unless the user chooses otherwise (`minScore` in storage). The
// scores are calibrated: a suggestion of 0.02 is right about one time in fifty on held-out posts.
export const DEFAULT_MIN_SCORE = 0.02;
export const MIN_SCORES = Object.freeze([0, 0.02, 0.05, 0.1, 0.2, 0.5]); // the options page's choices

/**
 * `text` as a bridge address: `http://127.0.0.1:<port>` (or `localhost`), nothing after the port; the normal
 * form, or null. (An address saved as typed, say "garbage" or one without `http://`, resolved against the
 * extension's own origin and read as "tagrec is not running".)
 */
export function bridgeUrlOf(text) {
  let url;
  try {
    url = new URL(String(text).trim());
  } catch {
    return null;
  }
  const local = url.hostname === "127.0.0.1" || url.hostname === "localhost";
  const bare = (url.pathname === "/" || url.pathname === "") && !url.search && !url.hash && !url.username;
  return url.protocol === "http:" && local && bare ? `http://${url.host}` : null;
}

/** The stored `minScore` if it is a score, else the default. */
export function minScoreOf(stored) {
  return typeof stored === "number" && stored >= 0 && stored <= 1 ? stored : DEFAULT_MIN_SCORE;
}

// What the user is told, one word per situation (the options page and the chips' status use them).
export const STATUS = Object.freeze({
  ready: "ready",
  loading: "loading", // the app runs, its model is still loading
  offline: "offline", // nothing listens: the app is not running
  foreign: "foreign", // something else answers on the port
  unpaired: "unpaired", // no token yet
  revoked: "revoked", // the app refused the token
  version: "version", // API versions differ
  permission: "permission", // the browser does not let the extension reach 127.0.0.1
  busy: "busy", // tagrec is busy or limits the rate: it said when to try again
  unresponsive: "unresponsive", // something accepts the connection but does not answer in time
  address: "address", // tagrec answers, but the address (path or host name) is not the one to use
  problem: "problem", // tagrec answered with an error of its own (a model or profile it cannot use...)
});

// How long a request may take before the app counts as not responding (ms). Feedback is answered once it is
// durable, so it may take longer than a suggestion.
export const TIMEOUTS = Object.freeze({ default: 10_000, feedback: 20_000 });
// Retrying without a Retry-After: 1 s, 2 s, 4 s... at most 30 s.
export const RETRY_FIRST_MS = 1000;
export const RETRY_MAX_MS = 30_000;

/**
 * How long to wait before attempt `attempt` (0 for the first retry): the server's Retry-After (seconds) when it
 * gave one, else an exponential backoff; never more than RETRY_MAX_MS.
 */
export function retryDelay(attempt, retryAfter) {
  if (typeof retryAfter === "number" && Number.isFinite(retryAfter) && retryAfter >= 0) {
    return Math.min(Math.max(retryAfter * 1000, 250), RETRY_MAX_MS);
  }
  const n = Math.max(0, Math.floor(Number(attempt) || 0));
  return Math.min(RETRY_FIRST_MS * 2 ** Math.min(n, 30), RETRY_MAX_MS);
}

/** The seconds of a Retry-After header (delta-seconds form), or null. */
export function retryAfterOf(header) {
  if (header === null || header === undefined || !/^\s*\d+\s*$/.test(String(header))) return null;
  return Number(header);
}

export class BridgeError extends Error {
  /** @param {string} status one of STATUS  @param {string} code the bridge's error code, if any */
  constructor(status, code, message, { httpStatus = 0, retryAfter = null } = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.httpStatus = httpStatus; // 0 when no HTTP answer came (no connection, no answer in time)
    this.retryAfter = retryAfter; // seconds, when the answer said when to try again
  }
}

/**
 * A client for the bridge at `url` with `token` (may be empty before pairing).
 * Every method resolves to the answer's JSON or rejects with a BridgeError whose `status` says what the
 * user should be told.
 */
export function createBridge({ url = DEFAULT_URL, token = "", fetch: fetchImpl, timeouts = TIMEOUTS }) {
  const base = url.replace(/\/+$/, "");

  async function call(method, path, body, { auth = true, timeout = timeouts.default, check = null } = {}) {
    const headers = { "X-Tagrec-Api": API_VERSION };
    if (auth && token) headers.Authorization = `Bearer ${token}`;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let response;
    try {
      response = await fetchImpl(base + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: "omit",
        cache: "no-store",
        signal: AbortSignal.timeout(timeout),
      });
    } catch (error) {
      if (error && (error.name === "TimeoutError" || error.name === "AbortError")) {
        throw new BridgeError(STATUS.unresponsive, "", `no answer from ${base} within ${timeout / 1000} s`);
      }
      const permission = /permission|blocked|not allowed/i.test(String(error && error.message));
      throw new BridgeError(permission ? STATUS.permission : STATUS.offline, "", String(error && error.message));
    }
    const httpStatus = response.status;
    const retryAfter = retryAfterOf(response.headers && response.headers.get && response.headers.get("Retry-After"));
    let data = null;
    try {
      data = await response.json();
    } catch (error) {
      if (error && (error.name === "TimeoutError" || error.name === "AbortError")) {
        throw new BridgeError(STATUS.unresponsive, "", `no answer from ${base} within ${timeout / 1000} s`);
      }
      throw new BridgeError(STATUS.foreign, "", `the answer on ${base} is not tagrec's`, { httpStatus });
    }
    if (response.ok) {
      // Something else may answer 200 with JSON of its own: an answer of the wrong shape is not tagrec's.
      if (check && !check(data)) {
        throw new BridgeError(STATUS.foreign, "", `the answer on ${base} is not tagrec's`, { httpStatus });
      }
      return data;
    }
    const code = (data && data.error && typeof data.error.code === "string" && data.error.code) || "";
    throw new BridgeError(statusOf(httpStatus, code), code, (data && data.error && data.error.message) || "",
                          { httpStatus, retryAfter });
  }

  return {
    hello: () => call("GET", "/v1/hello"),
    suggest: (draft) => call("POST", "/v1/suggest", draft, { check: isSuggestAnswer }),
    feedback: (event) => call("POST", "/v1/feedback", event, { timeout: timeouts.feedback, check: isFeedbackAnswer }),
    vocab: (prefix, limit = 20) =>
      call("GET", `/v1/vocab?prefix=${encodeURIComponent(prefix)}&limit=${limit}`),
    pair: (name) => call("POST", "/v1/pair", { name }, { auth: false }),
    pollPair: (request) => call("POST", `/v1/pair/${encodeURIComponent(request)}`, undefined, { auth: false }),
    unpair: () => call("POST", "/v1/unpair"),
  };
}

/** Whether a 200 answer to /v1/suggest has tagrec's shape: `suggestions`, a list of objects with a `tag`. */
export function isSuggestAnswer(data) {
  return Boolean(data) && Array.isArray(data.suggestions)
    && data.suggestions.every((s) => s && typeof s === "object" && typeof s.tag === "string");
}

/** Whether a 200 answer to /v1/feedback has tagrec's shape (`{"ok": true, "id": 42}`). */
export function isFeedbackAnswer(data) {
  return Boolean(data) && data.ok === true;
}

/** What an error answer means for the user. */
export function statusOf(httpStatus, code) {
  if (code === "model_loading") return STATUS.loading;
  if (code === "unauthorized") return STATUS.unpaired;
  if (code === "invalid_token" || code === "forbidden_origin") return STATUS.revoked;
  if (code === "unsupported_api_version" || code === "missing_api_header") return STATUS.version;
  if (!code) return STATUS.foreign; // an error without tagrec's error shape: not tagrec
  if (code === "busy" || code === "rate_limited" || code === "too_many_requests" || code === "timeout"
      || httpStatus === 429 || httpStatus === 408) return STATUS.busy;
  // tagrec answers, but not here: a path after the port (not_found, method_not_allowed) or another host name
  if (code === "forbidden_host" || code === "not_found" || code === "method_not_allowed") return STATUS.address;
  return STATUS.problem; // tagrec refused the request or cannot serve it (bad input, a model it cannot load...)
}

/** The status of the bridge as a whole, from its hello (and whether we hold a token). */
export function helloStatus(hello) {
  if (!hello || hello.app !== "tagrec") return STATUS.foreign;
  const version = Number(API_VERSION);
  if (!hello.api || hello.api.min > version || hello.api.max < version) return STATUS.version;
  if (hello.token === "missing") return STATUS.unpaired;
  if (hello.token === "invalid") return STATUS.revoked;
  const models = hello.models && typeof hello.models === "object" ? Object.values(hello.models) : [];
  if (models.some((m) => m && m.state === "loading")) return STATUS.loading;
  return STATUS.ready;
}
