import { useI18n } from "../../i18n/i18n.js";
import { ids, type LessonForm, type LessonKind } from "../../lib/admin/courseForm.js";
import { TextAreaField, TextField } from "../form/Field.js";
import { QuizEditor } from "./QuizEditor.js";

interface Props {
  lesson: LessonForm;
  m: number;
  l: number;
  onChange: (lesson: LessonForm) => void;
  errors: Record<string, string>;
  lang?: string;
}

const kinds: LessonKind[] = ["text", "video", "quiz"];

// One lesson: title, minutes, and the fields of its kind (text, video or quiz).
export function LessonEditor({ lesson, m, l, onChange, errors, lang }: Props) {
  const { t } = useI18n();
  const c = t.admin.courses;
  const kindLabel = (k: LessonKind) => (k === "text" ? c.kindText : k === "video" ? c.kindVideo : c.kindQuiz);
  const set = (patch: Partial<LessonForm>) => onChange({ ...lesson, ...patch });
  const kindName = `lesson-${m}-${l}-kind`;
  return (
    <div class="lesson-fields">
      <div class="field-row">
        <TextField id={ids.lessonTitle(m, l)} label={c.lessonTitle} value={lesson.title} error={errors[ids.lessonTitle(m, l)]} onChange={(title) => set({ title })} />
        <TextField
          id={ids.lessonMinutes(m, l)}
          label={c.minutes}
          hint={c.minutesHint}
          inputMode="numeric"
          size="short"
          value={lesson.minutes}
          error={errors[ids.lessonMinutes(m, l)]}
          onChange={(minutes) => set({ minutes })}
        />
      </div>
      <fieldset class="kind-choice">
        <legend>{c.kind}</legend>
        <div class="choice-row">
          {kinds.map((k) => (
            <div class="choice" key={k}>
              <input type="radio" id={`${kindName}-${k}`} name={kindName} checked={lesson.kind === k} onChange={() => set({ kind: k })} />
              <label for={`${kindName}-${k}`}>{kindLabel(k)}</label>
            </div>
          ))}
        </div>
      </fieldset>
      {lesson.kind === "text" && (
        <TextAreaField
          id={ids.lessonBody(m, l)}
          label={c.body}
          hint={c.bodyHint}
          rows={8}
          lang={lang}
          value={lesson.body}
          error={errors[ids.lessonBody(m, l)]}
          onChange={(body) => set({ body })}
        />
      )}
      {lesson.kind === "video" && (
        <>
          <TextField
            id={ids.lessonVideo(m, l)}
            label={c.videoUrl}
            hint={c.videoUrlHint}
            type="url"
            inputMode="url"
            size="long"
            value={lesson.videoUrl}
            error={errors[ids.lessonVideo(m, l)]}
            onChange={(videoUrl) => set({ videoUrl })}
          />
          <TextAreaField id={`lesson-${m}-${l}-summary`} label={c.videoSummary} optional rows={3} lang={lang} value={lesson.videoSummary} onChange={(videoSummary) => set({ videoSummary })} />
        </>
      )}
      {lesson.kind === "quiz" && <QuizEditor lesson={lesson} m={m} l={l} onChange={onChange} errors={errors} />}
    </div>
  );
}
