import { Code, ConnectError, createClient, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { ConsentService } from "../gen/advocacy/consent/v1/consent_service_pb.js";
import { ContentService } from "../gen/advocacy/content/v1/content_service_pb.js";
import { CoursesService } from "../gen/advocacy/courses/v1/courses_service_pb.js";
import { NotificationsService } from "../gen/advocacy/notifications/v1/notifications_service_pb.js";
import { saveDrafts } from "../lib/drafts.js";
import { currentPath } from "../lib/router.js";
import { csrfToken, sessionExpired } from "./session.js";

// Every RPC carries the session's CSRF token; the session itself is the same-origin cookie.
const csrf: Interceptor = (next) => async (req) => {
  req.header.set("X-CSRF-Token", csrfToken());
  return await next(req);
};

// An expired session: keep what the user typed, then sign in again and come back here.
const expiry: Interceptor = (next) => async (req) => {
  try {
    return await next(req);
  } catch (err) {
    if (err instanceof ConnectError && err.code === Code.Unauthenticated) {
      saveDrafts();
      sessionExpired(currentPath());
    }
    throw err;
  }
};

function transportWith(interceptors: Interceptor[]) {
  return createConnectTransport({
    // The gateway serves Connect at the origin root: POST /advocacy.consent.v1.ConsentService/...
    baseUrl: window.location.origin,
    useBinaryFormat: false,
    interceptors,
    fetch: (input, init) => globalThis.fetch(input, { ...init, credentials: "same-origin" }),
  });
}

const transport = transportWith([expiry, csrf]);
// For pages anyone may use without signing in (/verify): the session's cookie and CSRF token go
// along when there is a session, but an unauthenticated answer never sends the browser to sign in.
const publicTransport = transportWith([csrf]);

export const consentClient = createClient(ConsentService, transport);
export const contentClient = createClient(ContentService, transport);
export const coursesClient = createClient(CoursesService, transport);
export const notificationsClient = createClient(NotificationsService, transport);

// Only for RPCs that work without a session (VerifyCertificate).
export const publicCoursesClient = createClient(CoursesService, publicTransport);
