import { useI18n } from "../../i18n/i18n.js";
import { move, removeAt, replaceAt } from "../../lib/formValues.js";
import { ids, limits, newLesson, newModule, type ModuleForm } from "../../lib/admin/courseForm.js";
import { TextField } from "../form/Field.js";
import { ListControls } from "../form/ListControls.js";
import { LessonEditor } from "./LessonEditor.js";

interface Props {
  modules: ModuleForm[];
  onChange: (modules: ModuleForm[]) => void;
  errors: Record<string, string>;
  lang?: string;
}

// The modules of a course and their lessons, in order; each can be moved and removed.
export function ModulesEditor({ modules, onChange, errors, lang }: Props) {
  const { t } = useI18n();
  const c = t.admin.courses;
  const total = modules.reduce((n, m) => n + m.lessons.length, 0);
  const setModule = (mi: number, mod: ModuleForm) => onChange(replaceAt(modules, mi, mod));
  return (
    <section aria-labelledby="modules-title">
      <h2 id="modules-title">{c.modules}</h2>
      {modules.map((mod, mi) => (
        <fieldset key={mod.moduleId} class="card module-editor">
          <legend>{c.module(mi + 1)}</legend>
          <TextField id={ids.module(mi)} label={c.moduleTitle} value={mod.title} error={errors[ids.module(mi)]} onChange={(title) => setModule(mi, { ...mod, title })} />
          <ol class="lesson-editors">
            {mod.lessons.map((lesson, li) => (
              <li key={lesson.lessonId} class="lesson-editor">
                <h3>{c.lesson(mi + 1, li + 1)}</h3>
                <LessonEditor
                  lesson={lesson}
                  m={mi}
                  l={li}
                  lang={lang}
                  errors={errors}
                  onChange={(next) => setModule(mi, { ...mod, lessons: replaceAt(mod.lessons, li, next) })}
                />
                <ListControls
                  what={c.lessonWhat(mi + 1, li + 1)}
                  index={li}
                  count={mod.lessons.length}
                  min={1}
                  onMove={(by) => setModule(mi, { ...mod, lessons: move(mod.lessons, li, by) })}
                  onRemove={() => setModule(mi, { ...mod, lessons: removeAt(mod.lessons, li) })}
                />
              </li>
            ))}
          </ol>
          <div class="actions">
            <button
              type="button"
              class="button small secondary"
              disabled={mod.lessons.length >= limits.lessonsPerModule || total >= limits.lessonsPerCourse}
              onClick={() => setModule(mi, { ...mod, lessons: [...mod.lessons, newLesson()] })}
            >
              {c.addLesson(mi + 1)}
            </button>
          </div>
          <ListControls
            what={c.moduleWhat(mi + 1)}
            index={mi}
            count={modules.length}
            min={1}
            onMove={(by) => onChange(move(modules, mi, by))}
            onRemove={() => onChange(removeAt(modules, mi))}
          />
        </fieldset>
      ))}
      <button
        type="button"
        class="button secondary"
        disabled={modules.length >= limits.modules || total >= limits.lessonsPerCourse}
        onClick={() => onChange([...modules, newModule()])}
      >
        {c.addModule}
      </button>
    </section>
  );
}
