import { Code, ConnectError } from "@connectrpc/connect";
import type { Messages } from "../i18n/types.js";

// What the app knows about a failure: a category to choose the message from, and the request
// id the gateway gave the failed request (for support). Never the server's own message: it is
// written for operators and may name internals.
export interface Failure {
  code: Code | "network";
  requestId: string | undefined;
}

const requestIdHeader = "x-request-id";

// A failed call to the gateway's /auth endpoints (plain HTTP, not Connect).
export class HttpFailure extends Error {
  constructor(
    readonly status: number,
    readonly requestId: string | undefined,
  ) {
    super(`HTTP ${status}`);
  }
}

function codeFromStatus(status: number): Code {
  if (status === 401) return Code.Unauthenticated;
  if (status === 403) return Code.PermissionDenied;
  if (status === 404) return Code.NotFound;
  if (status === 429) return Code.ResourceExhausted;
  if (status === 502 || status === 503 || status === 504) return Code.Unavailable;
  return Code.Unknown;
}

export function toFailure(err: unknown): Failure {
  if (err instanceof HttpFailure) {
    return { code: codeFromStatus(err.status), requestId: err.requestId };
  }
  if (err instanceof ConnectError) {
    const requestId = err.metadata.get(requestIdHeader) ?? undefined;
    // fetch() itself failing (offline, DNS, CORS) surfaces as a ConnectError without a response.
    const offline = err.cause instanceof TypeError && requestId === undefined;
    return { code: offline ? "network" : err.code, requestId };
  }
  if (err instanceof TypeError) return { code: "network", requestId: undefined };
  return { code: Code.Unknown, requestId: undefined };
}

export function requestIdOf(res: Response): string | undefined {
  return res.headers.get(requestIdHeader) ?? undefined;
}

export function isCode(err: unknown, code: Code): boolean {
  return err instanceof ConnectError && err.code === code;
}

export function failureMessage(f: Failure, t: Messages): string {
  switch (f.code) {
    case "network":
      return t.errors.network;
    case Code.Unavailable:
      return t.errors.unavailable;
    case Code.PermissionDenied:
      return t.errors.permissionDenied;
    case Code.NotFound:
      return t.errors.notFound;
    case Code.InvalidArgument:
    case Code.OutOfRange:
      return t.errors.invalidArgument;
    case Code.FailedPrecondition:
      return t.errors.failedPrecondition;
    case Code.ResourceExhausted:
      return t.errors.resourceExhausted;
    case Code.AlreadyExists:
      return t.errors.alreadyExists;
    case Code.Aborted:
      return t.errors.aborted;
    case Code.DeadlineExceeded:
      return t.errors.deadlineExceeded;
    case Code.Unauthenticated:
      return t.errors.unauthenticated;
    default:
      return t.errors.other;
  }
}
