import {
  ActorRole,
  ConsentMethod,
  ConsentState,
  Network,
  Purpose,
} from "../gen/advocacy/consent/v1/consent_pb.js";
import { ItemState } from "../gen/advocacy/content/v1/content_pb.js";
import { BroadcastState, CourseLevel, CourseState, EnrollmentState } from "../gen/advocacy/courses/v1/courses_pb.js";
import { Topic, Weekday } from "../gen/advocacy/notifications/v1/notifications_pb.js";
import type { Messages } from "../i18n/types.js";

// Human text for the API's enums, in the current language. A value this version does not know
// (a newer server) gets the "unspecified" text rather than a number.

export function networkLabel(t: Messages, n: Network): string {
  switch (n) {
    case Network.LINKEDIN:
      return t.networks.linkedin;
    case Network.FACEBOOK:
      return t.networks.facebook;
    case Network.INSTAGRAM:
      return t.networks.instagram;
    case Network.X:
      return t.networks.x;
    default:
      return t.networks.unspecified;
  }
}

export function purposeLabel(t: Messages, p: Purpose): string {
  switch (p) {
    case Purpose.SHARE_CONTENT:
      return t.purposes.shareContent;
    case Purpose.CONTENT_SUGGESTIONS:
      return t.purposes.contentSuggestions;
    case Purpose.EMAIL_TIPS:
      return t.purposes.emailTips;
    case Purpose.COURSE_TIPS:
      return t.purposes.courseTips;
    case Purpose.LEADERBOARD:
      return t.purposes.leaderboard;
    default:
      return t.purposes.unspecified;
  }
}

export function purposeHelp(t: Messages, p: Purpose): string {
  switch (p) {
    case Purpose.SHARE_CONTENT:
      return t.purposes.shareContentHelp;
    case Purpose.CONTENT_SUGGESTIONS:
      return t.purposes.contentSuggestionsHelp;
    case Purpose.EMAIL_TIPS:
      return t.purposes.emailTipsHelp;
    case Purpose.COURSE_TIPS:
      return t.purposes.courseTipsHelp;
    case Purpose.LEADERBOARD:
      return t.purposes.leaderboardHelp;
    default:
      return "";
  }
}

export function consentStateLabel(t: Messages, s: ConsentState): string {
  switch (s) {
    case ConsentState.GIVEN:
      return t.consentStates.given;
    case ConsentState.WITHDRAWN:
      return t.consentStates.withdrawn;
    default:
      return t.consentStates.unspecified;
  }
}

export function consentMethodLabel(t: Messages, m: ConsentMethod): string {
  switch (m) {
    case ConsentMethod.APP_TOGGLE:
      return t.consentMethods.appToggle;
    case ConsentMethod.EMAIL_ONE_CLICK:
      return t.consentMethods.emailOneClick;
    case ConsentMethod.API:
      return t.consentMethods.api;
    case ConsentMethod.ADMIN_ON_BEHALF:
      return t.consentMethods.adminOnBehalf;
    default:
      return t.consentMethods.unspecified;
  }
}

export function actorRoleLabel(t: Messages, r: ActorRole): string {
  switch (r) {
    case ActorRole.EMPLOYEE:
      return t.actorRoles.employee;
    case ActorRole.ADMIN:
      return t.actorRoles.admin;
    case ActorRole.SERVICE:
      return t.actorRoles.service;
    default:
      return t.actorRoles.unspecified;
  }
}

// The consuming services report under their own names; known ones get a human name.
export function serviceLabel(t: Messages, name: string): string {
  switch (name) {
    case "content":
      return t.serviceNames.content;
    case "notifications":
      return t.serviceNames.notifications;
    case "courses":
      return t.serviceNames.courses;
    default:
      return name;
  }
}

export function topicLabel(t: Messages, topic: Topic): string {
  switch (topic) {
    case Topic.CONTENT:
      return t.topics.content;
    case Topic.COURSES:
      return t.topics.courses;
    case Topic.BROADCASTS:
      return t.topics.broadcasts;
    default:
      return t.topics.unspecified;
  }
}

export function weekdayLabel(t: Messages, d: Weekday): string {
  switch (d) {
    case Weekday.MONDAY:
      return t.weekdays.monday;
    case Weekday.TUESDAY:
      return t.weekdays.tuesday;
    case Weekday.WEDNESDAY:
      return t.weekdays.wednesday;
    case Weekday.THURSDAY:
      return t.weekdays.thursday;
    case Weekday.FRIDAY:
      return t.weekdays.friday;
    case Weekday.SATURDAY:
      return t.weekdays.saturday;
    case Weekday.SUNDAY:
      return t.weekdays.sunday;
    default:
      return t.weekdays.unspecified;
  }
}

export function courseLevelLabel(t: Messages, l: CourseLevel): string {
  switch (l) {
    case CourseLevel.BEGINNER:
      return t.courseLevels.beginner;
    case CourseLevel.INTERMEDIATE:
      return t.courseLevels.intermediate;
    case CourseLevel.ADVANCED:
      return t.courseLevels.advanced;
    default:
      return t.courseLevels.unspecified;
  }
}

export function enrollmentStateLabel(t: Messages, s: EnrollmentState): string {
  switch (s) {
    case EnrollmentState.ACTIVE:
      return t.enrollmentStates.active;
    case EnrollmentState.COMPLETED:
      return t.enrollmentStates.completed;
    case EnrollmentState.WITHDRAWN:
      return t.enrollmentStates.withdrawn;
    default:
      return t.enrollmentStates.unspecified;
  }
}

// A language-aware list: "LinkedIn, Facebook and X" / "LinkedIn, Facebook og X".
export function listText(items: string[], locale: string): string {
  return new Intl.ListFormat(locale, { style: "long", type: "conjunction" }).format(items);
}

export function itemStateLabel(t: Messages, s: ItemState): string {
  switch (s) {
    case ItemState.DRAFT:
      return t.admin.states.draft;
    case ItemState.IN_REVIEW:
      return t.admin.states.inReview;
    case ItemState.PUBLISHED:
      return t.admin.states.published;
    case ItemState.ARCHIVED:
      return t.admin.states.archived;
    default:
      return t.admin.states.unspecified;
  }
}

export function courseStateLabel(t: Messages, s: CourseState): string {
  switch (s) {
    case CourseState.DRAFT:
      return t.admin.states.draft;
    case CourseState.PUBLISHED:
      return t.admin.states.published;
    case CourseState.ARCHIVED:
      return t.admin.states.archived;
    default:
      return t.admin.states.unspecified;
  }
}

export function broadcastStateLabel(t: Messages, s: BroadcastState): string {
  switch (s) {
    case BroadcastState.SCHEDULED:
      return t.admin.states.scheduled;
    case BroadcastState.CANCELLED:
      return t.admin.states.cancelled;
    default:
      return t.admin.states.unspecified;
  }
}
