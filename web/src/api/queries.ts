import { Code } from "@connectrpc/connect";
import { CourseState, type CourseSummary } from "../gen/advocacy/courses/v1/courses_pb.js";
import type { Notice } from "../gen/advocacy/consent/v1/consent_pb.js";
import { consentClient, coursesClient } from "./clients.js";
import { isCode } from "./errors.js";

// Reads that several pages share, built on the clients in clients.ts.

// Every published course of the tenant (for choosing prerequisites, a broadcast's course, the
// recommended course), oldest first. Bounded: at most 10 pages of 100.
export async function listPublishedCourses(tenantId: string, signal?: AbortSignal): Promise<CourseSummary[]> {
  const out: CourseSummary[] = [];
  let pageToken = "";
  for (let page = 0; page < 10; ++page) {
    const r = await coursesClient.listCourses({ tenantId, pageSize: 100, pageToken, includeUnpublished: true }, { signal });
    out.push(...r.courses.filter((c) => c.state === CourseState.PUBLISHED));
    pageToken = r.nextPageToken;
    if (!pageToken) break;
  }
  return out;
}

// The tenant's current consent notice, or null when none was published yet.
export async function currentNotice(tenantId: string, signal?: AbortSignal): Promise<Notice | null> {
  try {
    const r = await consentClient.getCurrentNotice({ tenantId }, { signal });
    return r.notice ?? null;
  } catch (err) {
    if (isCode(err, Code.NotFound)) return null;
    throw err;
  }
}
