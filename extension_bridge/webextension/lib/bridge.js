// The bridge protocol (docs/bridge.md) as a small client. Pure: `fetch` is passed in, so node tests drive it
// with a fake server function and the service worker with the real fetch.

export const API_VERSION = "1";
export const DEFAULT_URL = "http://127.0.0.1:24519";
// Suggestions scored below this are not shown unless the user chooses otherwise (`minScore` in storage). The
// scores are calibrated: a suggestion of 0.02 is right about one time in fifty on held-out posts.
export const DEFAULT_MIN_SCORE = 0.02;
export const MIN_SCORES = Object.freeze([0, 0.02, 0.05, 0.1, 0.2, 0.5]); // the options page's choices

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
});

export class BridgeError extends Error {
  /** @param {string} status one of STATUS  @param {string} code the bridge's error code, if any */
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/**
 * A client for the bridge at `url` with `token` (may be empty before pairing).
 * Every method resolves to the answer's JSON or rejects with a BridgeError whose `status` says what the
 * user should be told.
 */
export function createBridge({ url = DEFAULT_URL, token = "", fetch: fetchImpl }) {
  const base = url.replace(/\/+$/, "");

  async function call(method, path, body, { auth = true } = {}) {
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
      });
    } catch (error) {
      const permission = /permission|blocked|not allowed/i.test(String(error && error.message));
      throw new BridgeError(permission ? STATUS.permission : STATUS.offline, "", String(error && error.message));
    }
    let data = null;
    try {
      data = await response.json();
    } catch {
      throw new BridgeError(STATUS.foreign, "", `the answer on ${base} is not tagrec's`);
    }
    if (response.ok) return data;
    const code = (data && data.error && data.error.code) || "";
    throw new BridgeError(statusOf(response.status, code), code, (data && data.error && data.error.message) || "");
  }

  return {
    hello: () => call("GET", "/v1/hello"),
    suggest: (draft) => call("POST", "/v1/suggest", draft),
    feedback: (event) => call("POST", "/v1/feedback", event),
    vocab: (prefix, limit = 20) =>
      call("GET", `/v1/vocab?prefix=${encodeURIComponent(prefix)}&limit=${limit}`),
    pair: (name) => call("POST", "/v1/pair", { name }, { auth: false }),
    pollPair: (request) => call("POST", `/v1/pair/${encodeURIComponent(request)}`, undefined, { auth: false }),
    unpair: () => call("POST", "/v1/unpair"),
  };
}

/** What an error answer means for the user. */
export function statusOf(httpStatus, code) {
  if (code === "model_loading") return STATUS.loading;
  if (code === "unauthorized") return STATUS.unpaired;
  if (code === "invalid_token" || code === "forbidden_origin") return STATUS.revoked;
  if (code === "unsupported_api_version" || code === "missing_api_header") return STATUS.version;
  if (!code) return STATUS.foreign; // an error without tagrec's error shape: not tagrec
  return STATUS.ready; // tagrec answered; the request itself was refused (bad input, rate limit...)
}

/** The status of the bridge as a whole, from its hello (and whether we hold a token). */
export function helloStatus(hello) {
  if (!hello || hello.app !== "tagrec") return STATUS.foreign;
  const version = Number(API_VERSION);
  if (!hello.api || hello.api.min > version || hello.api.max < version) return STATUS.version;
  if (hello.token === "missing") return STATUS.unpaired;
  if (hello.token === "invalid") return STATUS.revoked;
  return STATUS.ready;
}
