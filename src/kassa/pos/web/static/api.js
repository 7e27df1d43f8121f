/* Kassa register — the JSON API of the register (docs/API.md "Register"), same origin, the
   session cookie. Every failure becomes an ApiError with a readable message: the error
   answer's message ({"error": {"code", "message"}}), or a sentence for a register that does
   not answer; never a stack trace. A 401 (the session ended) goes back to the sign-in page. */

export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details || {};
  }
}

let signInOnAuthError = true;

/** Do not leave the page on a 401 (the sign-in page itself). */
export function stayOnAuthError() { signInOnAuthError = false; }

async function errorOf(response) {
  let body = null;
  try { body = await response.json(); } catch (_) { body = null; }
  const err = body && body.error;
  if (err && typeof err.message === "string") {
    return new ApiError(response.status, err.code || "error", err.message, err.details);
  }
  return new ApiError(response.status, "http.error",
    `The register answered ${response.status} ${response.statusText || ""}`.trim() + ".");
}

/** method, path, JSON body → the JSON answer (null for 204). Throws ApiError. */
export async function api(method, path, body) {
  const init = { method, credentials: "same-origin", headers: { "Accept": "application/json" } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (_) {
    throw new ApiError(0, "register.unreachable",
      "The register does not answer. Check that it is running, then try again.");
  }
  if (response.status === 401 && signInOnAuthError) {
    window.location.assign("/sign-in?ended=1");
    throw new ApiError(401, "auth.session", "Your session has ended. Sign in again.");
  }
  if (!response.ok) { throw await errorOf(response); }
  if (response.status === 204) { return null; }
  return response.json();
}
