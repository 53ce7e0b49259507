import { useState } from "preact/hooks";
import type { Enrollment, QuizLesson, QuizResult } from "../gen/advocacy/courses/v1/courses_pb.js";
import type { SubmitQuizAnswersResponse } from "../gen/advocacy/courses/v1/courses_service_pb.js";
import { useI18n } from "../i18n/i18n.js";
import type { Session } from "../api/session.js";
import { coursesClient } from "../api/clients.js";
import { useDraft } from "../lib/drafts.js";
import { newIdempotencyKey } from "../lib/consentScopes.js";
import { ErrorBox } from "./ErrorBox.js";

type Answers = Record<string, number[]>;

function isAnswers(v: unknown): v is Answers {
  return (
    typeof v === "object" &&
    v !== null &&
    Object.values(v).every((a) => Array.isArray(a) && a.every((x) => typeof x === "number"))
  );
}

interface Props {
  session: Session;
  courseId: string;
  lessonId: string;
  quiz: QuizLesson;
  result: QuizResult | undefined;
  canSubmit: boolean;
  onEnrollment: (e: Enrollment, courseCompleted: boolean) => void;
}

// A multiple-choice quiz, scored by the courses service; the correct answers never reach the
// browser, only whether each question was right.
export function QuizForm({ session, courseId, lessonId, quiz, result, canSubmit, onEnrollment }: Props) {
  const { t } = useI18n();
  const [answers, setAnswers] = useDraft<Answers>(`quiz-${lessonId}`, {}, isAnswers);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [outcome, setOutcome] = useState<SubmitQuizAnswersResponse | null>(null);
  const correct = new Map((outcome?.outcomes ?? []).map((o) => [o.questionId, o.correct]));

  const toggle = (questionId: string, choice: number, on: boolean) => {
    const cur = answers[questionId] ?? [];
    setAnswers({
      ...answers,
      [questionId]: on ? [...cur.filter((c) => c !== choice), choice].sort((a, b) => a - b) : cur.filter((c) => c !== choice),
    });
  };

  const onSubmit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const r = await coursesClient.submitQuizAnswers({
        tenantId: session.tenant,
        employeeId: session.subject,
        courseId,
        lessonId,
        answers: quiz.questions.map((q) => ({ questionId: q.questionId, selectedChoices: answers[q.questionId] ?? [] })),
        idempotencyKey: newIdempotencyKey(),
      });
      setOutcome(r);
      if (r.enrollment) onEnrollment(r.enrollment, r.courseCompleted);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const pass = quiz.passPercent > 0 ? quiz.passPercent : 80;
  return (
    <form class="quiz" onSubmit={onSubmit} noValidate>
      <p class="hint">
        {t.courses.quizHint} {t.courses.passMark(pass)}
      </p>
      {result && result.attempts > 0 && <p class="meta">{t.courses.bestScore(result.bestScorePercent, result.attempts)}</p>}
      {quiz.questions.map((q, qi) => {
        const verdict = correct.get(q.questionId);
        return (
          <fieldset key={q.questionId} class={verdict === undefined ? "question" : verdict ? "question right" : "question wrong"}>
            <legend>
              <span class="question-number">{t.courses.quizQuestion(qi + 1)}: </span>
              <span class="pre-line">{q.prompt}</span>
            </legend>
            {q.choices.map((choice, ci) => {
              const id = `q-${lessonId}-${q.questionId}-${ci}`;
              return (
                <div class="choice" key={id}>
                  <input
                    type="checkbox"
                    id={id}
                    checked={(answers[q.questionId] ?? []).includes(ci)}
                    disabled={!canSubmit || busy}
                    onChange={(e) => toggle(q.questionId, ci, (e.currentTarget as HTMLInputElement).checked)}
                  />
                  <label for={id}>{choice}</label>
                </div>
              );
            })}
            {verdict !== undefined && <p class="verdict">{verdict ? t.courses.correct : t.courses.incorrect}</p>}
          </fieldset>
        );
      })}
      <div role="status">
        {outcome && (
          <p class={outcome.passed ? "success" : "warning"}>
            {t.courses.score(outcome.scorePercent)} {outcome.passed ? t.courses.passed : t.courses.notPassed}
          </p>
        )}
      </div>
      {error !== null && <ErrorBox error={error} />}
      {canSubmit && (
        <button type="submit" class="button" disabled={busy}>
          {busy ? t.courses.submitting : t.courses.submitQuiz}
        </button>
      )}
    </form>
  );
}
