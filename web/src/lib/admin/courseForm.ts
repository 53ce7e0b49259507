import type { MessageInitShape } from "@bufbuild/protobuf";
import { CourseLevel, type CourseContentSchema, type Course, type Lesson } from "../../gen/advocacy/courses/v1/courses_pb.js";
import type { Messages } from "../../i18n/types.js";
import { byteLength, isHttpUrl, isLanguageTag, newLocalId, parseWhole } from "../formValues.js";
import { newIdempotencyKey } from "../consentScopes.js";
import { arrayOf, isNumber, isString, objectOf, oneOf } from "../shape.js";

// The course editor's state: plain JSON (kept as a draft across a sign-in). A lesson keeps the
// fields of every kind, so switching between text, video and quiz loses nothing typed.

export interface QuestionForm {
  questionId: string;
  prompt: string;
  choices: string[];
  correct: number[];
}

export type LessonKind = "text" | "video" | "quiz";

export interface LessonForm {
  lessonId: string;
  title: string;
  minutes: string;
  kind: LessonKind;
  body: string;
  videoUrl: string;
  videoSummary: string;
  passPercent: string;
  questions: QuestionForm[];
}

export interface ModuleForm {
  moduleId: string;
  title: string;
  lessons: LessonForm[];
}

export interface CourseForm {
  idempotencyKey: string;
  title: string;
  description: string;
  level: number;
  language: string;
  prerequisites: string[];
  modules: ModuleForm[];
}

const isQuestion = objectOf<QuestionForm>({
  questionId: isString,
  prompt: isString,
  choices: arrayOf(isString, 10),
  correct: arrayOf(isNumber, 10),
});
const isLesson = objectOf<LessonForm>({
  lessonId: isString,
  title: isString,
  minutes: isString,
  kind: oneOf("text", "video", "quiz"),
  body: isString,
  videoUrl: isString,
  videoSummary: isString,
  passPercent: isString,
  questions: arrayOf(isQuestion, 50),
});
const isModule = objectOf<ModuleForm>({ moduleId: isString, title: isString, lessons: arrayOf(isLesson, 50) });
export const isCourseForm = objectOf<CourseForm>({
  idempotencyKey: isString,
  title: isString,
  description: isString,
  level: isNumber,
  language: isString,
  prerequisites: arrayOf(isString, 10),
  modules: arrayOf(isModule, 20),
});

// The courses service's bounds (courses.proto).
export const limits = { modules: 20, lessonsPerModule: 50, lessonsPerCourse: 200, questions: 50, choices: 10 };

export function newQuestion(): QuestionForm {
  return { questionId: newLocalId("q"), prompt: "", choices: ["", ""], correct: [] };
}

export function newLesson(): LessonForm {
  return {
    lessonId: newLocalId("lesson"),
    title: "",
    minutes: "5",
    kind: "text",
    body: "",
    videoUrl: "",
    videoSummary: "",
    passPercent: "",
    questions: [newQuestion()],
  };
}

export function newModule(): ModuleForm {
  return { moduleId: newLocalId("module"), title: "", lessons: [newLesson()] };
}

export function emptyCourseForm(language: string): CourseForm {
  return {
    idempotencyKey: newIdempotencyKey(),
    title: "",
    description: "",
    level: CourseLevel.UNSPECIFIED,
    language,
    prerequisites: [],
    modules: [newModule()],
  };
}

function lessonForm(l: Lesson): LessonForm {
  const base = newLesson();
  const c = l.content;
  return {
    ...base,
    lessonId: l.lessonId,
    title: l.title,
    minutes: String(l.estimatedMinutes),
    kind: c.case ?? "text",
    body: c.case === "text" ? c.value.body : "",
    videoUrl: c.case === "video" ? c.value.url : "",
    videoSummary: c.case === "video" ? c.value.summary : "",
    passPercent: c.case === "quiz" && c.value.passPercent > 0 ? String(c.value.passPercent) : "",
    questions:
      c.case === "quiz"
        ? c.value.questions.map((q) => ({ questionId: q.questionId, prompt: q.prompt, choices: [...q.choices], correct: [...q.correctChoices] }))
        : base.questions,
  };
}

export function courseFormFrom(course: Course): CourseForm {
  const c = course.content;
  return {
    idempotencyKey: newIdempotencyKey(),
    title: c?.title ?? "",
    description: c?.description ?? "",
    level: c?.level ?? CourseLevel.UNSPECIFIED,
    language: c?.language ?? "",
    prerequisites: [...(c?.prerequisiteCourseIds ?? [])],
    modules: (c?.modules ?? []).map((m) => ({ moduleId: m.moduleId, title: m.title, lessons: m.lessons.map(lessonForm) })),
  };
}

export function courseContentFromForm(f: CourseForm): MessageInitShape<typeof CourseContentSchema> {
  return {
    title: f.title.trim(),
    description: f.description.trim(),
    level: f.level as CourseLevel,
    language: f.language.trim(),
    prerequisiteCourseIds: f.prerequisites,
    modules: f.modules.map((m) => ({
      moduleId: m.moduleId,
      title: m.title.trim(),
      lessons: m.lessons.map((l) => ({
        lessonId: l.lessonId,
        title: l.title.trim(),
        estimatedMinutes: parseWhole(l.minutes, 1, 600) ?? 0,
        content:
          l.kind === "text"
            ? { case: "text" as const, value: { body: l.body } }
            : l.kind === "video"
              ? { case: "video" as const, value: { url: l.videoUrl.trim(), summary: l.videoSummary.trim() } }
              : {
                  case: "quiz" as const,
                  value: {
                    passPercent: l.passPercent.trim() === "" ? 0 : (parseWhole(l.passPercent, 1, 100) ?? 0),
                    questions: l.questions.map((q) => ({
                      questionId: q.questionId,
                      prompt: q.prompt.trim(),
                      choices: q.choices.map((c) => c.trim()),
                      correctChoices: q.correct,
                    })),
                  },
                },
      })),
    })),
  };
}

// Control ids, shared by the editor and the validation.
export const ids = {
  module: (m: number) => `module-${m}-title`,
  lessonTitle: (m: number, l: number) => `lesson-${m}-${l}-title`,
  lessonMinutes: (m: number, l: number) => `lesson-${m}-${l}-minutes`,
  lessonBody: (m: number, l: number) => `lesson-${m}-${l}-body`,
  lessonVideo: (m: number, l: number) => `lesson-${m}-${l}-video`,
  lessonPass: (m: number, l: number) => `lesson-${m}-${l}-pass`,
  prompt: (m: number, l: number, q: number) => `lesson-${m}-${l}-q-${q}-prompt`,
  choice: (m: number, l: number, q: number, c: number) => `lesson-${m}-${l}-q-${q}-choice-${c}`,
  correct: (m: number, l: number, q: number, c: number) => `lesson-${m}-${l}-q-${q}-correct-${c}`,
};

export function validateCourseForm(f: CourseForm, t: Messages, locale: string): Record<string, string> {
  const m = t.admin.courses;
  const c = t.admin.common;
  const e: Record<string, string> = {};
  const bytes = (n: number) => c.tooLongBytes(new Intl.NumberFormat(locale).format(n));
  const title = f.title.trim();
  if (!title) e["course-title"] = c.titleRequired;
  else if (byteLength(title) > 200) e["course-title"] = bytes(200);
  if (byteLength(f.description) > 10000) e["course-description"] = bytes(10000);
  if (f.level === CourseLevel.UNSPECIFIED) e["course-level"] = m.levelRequired;
  const lang = f.language.trim();
  if (!lang) e["course-language"] = c.languageRequired;
  else if (lang.length < 2 || !isLanguageTag(lang)) e["course-language"] = c.languageInvalid;
  f.modules.forEach((mod, mi) => {
    if (!mod.title.trim()) e[ids.module(mi)] = c.titleRequired;
    else if (byteLength(mod.title.trim()) > 200) e[ids.module(mi)] = bytes(200);
    mod.lessons.forEach((l, li) => {
      if (!l.title.trim()) e[ids.lessonTitle(mi, li)] = c.titleRequired;
      else if (byteLength(l.title.trim()) > 200) e[ids.lessonTitle(mi, li)] = bytes(200);
      if (parseWhole(l.minutes, 1, 600) === null) e[ids.lessonMinutes(mi, li)] = m.minutesInvalid;
      if (l.kind === "text") {
        if (!l.body.trim()) e[ids.lessonBody(mi, li)] = m.bodyRequired;
        else if (byteLength(l.body) > 65536) e[ids.lessonBody(mi, li)] = bytes(65536);
      } else if (l.kind === "video") {
        if (!isHttpUrl(l.videoUrl.trim(), true) || byteLength(l.videoUrl.trim()) > 2048) e[ids.lessonVideo(mi, li)] = m.videoUrlInvalid;
      } else {
        if (l.passPercent.trim() !== "" && parseWhole(l.passPercent, 1, 100) === null) e[ids.lessonPass(mi, li)] = m.passPercentInvalid;
        l.questions.forEach((q, qi) => {
          if (!q.prompt.trim()) e[ids.prompt(mi, li, qi)] = m.promptRequired;
          else if (byteLength(q.prompt.trim()) > 2000) e[ids.prompt(mi, li, qi)] = bytes(2000);
          q.choices.forEach((ch, ci) => {
            if (!ch.trim()) e[ids.choice(mi, li, qi, ci)] = m.choiceRequired;
            else if (byteLength(ch.trim()) > 500) e[ids.choice(mi, li, qi, ci)] = bytes(500);
          });
          if (q.correct.length === 0) e[ids.correct(mi, li, qi, 0)] = m.correctRequired;
        });
      }
    });
  });
  return e;
}
