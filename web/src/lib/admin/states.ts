import { ItemState } from "../../gen/advocacy/content/v1/content_pb.js";
import { BroadcastState, CourseState } from "../../gen/advocacy/courses/v1/courses_pb.js";

export type Tone = "draft" | "review" | "live" | "closed";

export function itemTone(s: ItemState): Tone {
  return s === ItemState.PUBLISHED ? "live" : s === ItemState.IN_REVIEW ? "review" : s === ItemState.ARCHIVED ? "closed" : "draft";
}

export function courseTone(s: CourseState): Tone {
  return s === CourseState.PUBLISHED ? "live" : s === CourseState.ARCHIVED ? "closed" : "draft";
}

export function broadcastTone(s: BroadcastState): Tone {
  return s === BroadcastState.SCHEDULED ? "live" : "closed";
}
