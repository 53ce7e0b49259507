import { useI18n } from "../../i18n/i18n.js";
import { move, removeAt, replaceAt } from "../../lib/formValues.js";
import { ids, limits, newQuestion, type LessonForm, type QuestionForm } from "../../lib/admin/courseForm.js";
import { TextAreaField, TextField } from "../form/Field.js";
import { ListControls } from "../form/ListControls.js";

interface Props {
  lesson: LessonForm;
  m: number;
  l: number;
  onChange: (lesson: LessonForm) => void;
  errors: Record<string, string>;
}

// A quiz: the pass mark and the questions, each with 2 to 10 answers of which at least one is
// marked correct (the service scores it; employees never see which ones are correct).
export function QuizEditor({ lesson, m, l, onChange, errors }: Props) {
  const { t } = useI18n();
  const c = t.admin.courses;
  const lessonName = c.lesson(m + 1, l + 1);
  const setQuestions = (questions: QuestionForm[]) => onChange({ ...lesson, questions });
  const setQuestion = (qi: number, q: QuestionForm) => setQuestions(replaceAt(lesson.questions, qi, q));
  return (
    <div class="quiz-editor">
      <TextField
        id={ids.lessonPass(m, l)}
        label={c.passPercent}
        hint={c.passPercentHint}
        optional
        inputMode="numeric"
        size="short"
        value={lesson.passPercent}
        error={errors[ids.lessonPass(m, l)]}
        onChange={(passPercent) => onChange({ ...lesson, passPercent })}
      />
      {lesson.questions.map((q, qi) => (
        <fieldset key={q.questionId} class="question-editor">
          <legend>{c.question(qi + 1)}</legend>
          <TextAreaField
            id={ids.prompt(m, l, qi)}
            label={c.prompt}
            rows={2}
            value={q.prompt}
            error={errors[ids.prompt(m, l, qi)]}
            onChange={(prompt) => setQuestion(qi, { ...q, prompt })}
          />
          <ol class="choices-editor">
            {q.choices.map((choice, ci) => {
              const choiceId = ids.choice(m, l, qi, ci);
              const correctId = ids.correct(m, l, qi, ci);
              const correctError = ci === 0 ? errors[ids.correct(m, l, qi, 0)] : undefined;
              return (
                <li key={ci} class="choice-editor">
                  <TextField
                    id={choiceId}
                    label={c.choice(ci + 1)}
                    value={choice}
                    error={errors[choiceId]}
                    onChange={(v) => setQuestion(qi, { ...q, choices: replaceAt(q.choices, ci, v) })}
                  />
                  <div class="choice">
                    <input
                      type="checkbox"
                      id={correctId}
                      checked={q.correct.includes(ci)}
                      aria-invalid={correctError ? "true" : undefined}
                      aria-describedby={correctError ? `${correctId}-error` : undefined}
                      onChange={(e) => {
                        const on = (e.currentTarget as HTMLInputElement).checked;
                        const correct = on ? [...q.correct.filter((x) => x !== ci), ci].sort((a, b) => a - b) : q.correct.filter((x) => x !== ci);
                        setQuestion(qi, { ...q, correct });
                      }}
                    />
                    <label for={correctId}>
                      {c.correct}
                      <span class="visually-hidden">: {c.choiceWhat(qi + 1, ci + 1)}</span>
                    </label>
                  </div>
                  {correctError && (
                    <p id={`${correctId}-error`} class="field-error">
                      {correctError}
                    </p>
                  )}
                  {q.choices.length > 2 && (
                    <button
                      type="button"
                      class="button small secondary danger-text"
                      onClick={() =>
                        setQuestion(qi, {
                          ...q,
                          choices: removeAt(q.choices, ci),
                          // Indexes after the removed answer move down by one.
                          correct: q.correct.filter((x) => x !== ci).map((x) => (x > ci ? x - 1 : x)),
                        })
                      }
                    >
                      {t.forms.remove}
                      <span class="visually-hidden"> {c.choiceWhat(qi + 1, ci + 1)}</span>
                    </button>
                  )}
                </li>
              );
            })}
          </ol>
          <div class="actions">
            <button
              type="button"
              class="button small secondary"
              disabled={q.choices.length >= limits.choices}
              onClick={() => setQuestion(qi, { ...q, choices: [...q.choices, ""] })}
            >
              {c.addChoice}
              <span class="visually-hidden">: {c.question(qi + 1)}</span>
            </button>
          </div>
          <ListControls
            what={c.questionWhat(lessonName, qi + 1)}
            index={qi}
            count={lesson.questions.length}
            min={1}
            onMove={(by) => setQuestions(move(lesson.questions, qi, by))}
            onRemove={() => setQuestions(removeAt(lesson.questions, qi))}
          />
        </fieldset>
      ))}
      <button
        type="button"
        class="button small secondary"
        disabled={lesson.questions.length >= limits.questions}
        onClick={() => setQuestions([...lesson.questions, newQuestion()])}
      >
        {c.addQuestion}
        <span class="visually-hidden">: {lessonName}</span>
      </button>
    </div>
  );
}
