import { useState } from "preact/hooks";
import type { Checklist } from "../../gen/advocacy/courses/v1/courses_pb.js";
import { useI18n } from "../../i18n/i18n.js";
import type { Session } from "../../api/session.js";
import { coursesClient } from "../../api/clients.js";
import { useAsync } from "../../lib/useAsync.js";
import { useAction } from "../../lib/useAction.js";
import { useDraft } from "../../lib/drafts.js";
import { setFlash } from "../../lib/flash.js";
import { move, removeAt, replaceAt } from "../../lib/formValues.js";
import { navigate, pathOf } from "../../lib/router.js";
import {
  checklistContentFromForm,
  checklistFormFrom,
  checklistIds,
  emptyChecklistForm,
  isChecklistForm,
  maxChecklistItems,
  newChecklistItem,
  validateChecklistForm,
  type ChecklistForm,
} from "../../lib/admin/checklistForm.js";
import { AdminFrame } from "../../components/admin/AdminFrame.js";
import { LanguageOptions } from "../../components/admin/LanguageOptions.js";
import { TextAreaField, TextField } from "../../components/form/Field.js";
import { ListControls } from "../../components/form/ListControls.js";
import { ConfirmButton } from "../../components/form/ConfirmButton.js";
import { useFormErrors } from "../../components/form/useFormErrors.js";
import { Loading } from "../../components/Loading.js";
import { ErrorBox } from "../../components/ErrorBox.js";
import { StatusMessage } from "../../components/StatusMessage.js";

// A new checklist (checklistId null) or an existing one, welcome checklists included (the
// service copies a welcome checklist into the tenant on its first edit).
export function ChecklistEditorPage({ session, checklistId }: { session: Session; checklistId: string | null }) {
  const { t, lang } = useI18n();
  const { state, reload } = useAsync(
    async (signal) =>
      checklistId ? ((await coursesClient.getChecklist({ tenantId: session.tenant, checklistId }, { signal })).checklist ?? null) : null,
    [session.tenant, checklistId],
  );
  const title = state.status === "ok" && state.data ? (state.data.content?.title ?? checklistId ?? "") : t.admin.checklists.newTitle;
  return (
    <AdminFrame title={checklistId && state.status !== "ok" ? t.admin.checklists.title : title} backTo="checklists">
      {state.status === "loading" && <Loading />}
      {state.status === "error" && <ErrorBox error={state.error} onRetry={reload} />}
      {state.status === "ok" && (
        <ChecklistEditor
          session={session}
          checklist={state.data}
          initial={state.data ? checklistFormFrom(state.data) : emptyChecklistForm(lang === "nb" ? "nb-NO" : "en")}
        />
      )}
    </AdminFrame>
  );
}

function ChecklistEditor({ session, checklist: loaded, initial }: { session: Session; checklist: Checklist | null; initial: ChecklistForm }) {
  const { t, locale } = useI18n();
  const m = t.admin.checklists;
  const [form, setForm, restored] = useDraft<ChecklistForm>("checklist-editor", initial, isChecklistForm);
  const [checklist, setChecklist] = useState(loaded);
  const { errors, show, formRef } = useFormErrors(() => validateChecklistForm(form, t, locale));
  const save = useAction();
  const remove = useAction();
  const set = (patch: Partial<ChecklistForm>) => setForm({ ...form, ...patch });

  const onSubmit = async (e: Event) => {
    e.preventDefault();
    if (show(validateChecklistForm(form, t, locale))) return;
    const content = checklistContentFromForm(form);
    await save.run(async () => {
      if (!checklist) {
        const r = await coursesClient.createChecklist({ tenantId: session.tenant, content, idempotencyKey: form.idempotencyKey });
        setFlash((t) => t.admin.checklists.created);
        navigate(pathOf({ name: "admin", section: "checklists", id: r.checklist?.checklistId ?? "" }));
        return;
      }
      const r = await coursesClient.updateChecklist({
        tenantId: session.tenant,
        checklistId: checklist.checklistId,
        content,
        expectedRevision: checklist.revision,
      });
      if (r.checklist) setChecklist(r.checklist);
      return (t) => t.admin.checklists.updated;
    });
  };

  const onDelete = () =>
    remove.run(async () => {
      if (!checklist) return;
      await coursesClient.deleteChecklist({ tenantId: session.tenant, checklistId: checklist.checklistId });
      setFlash((t) => t.admin.checklists.deleted);
      navigate(pathOf({ name: "admin", section: "checklists" }));
    });

  return (
    <>
      {checklist && (
        <p class="meta">
          {checklist.welcome && <span class="state-badge state-review">{m.welcome}</span>} {t.admin.common.revision(String(checklist.revision))}
        </p>
      )}
      {restored && <p class="info">{t.tips.draftRestored}</p>}
      <form class="form admin-form" ref={formRef} onSubmit={onSubmit} noValidate>
        <fieldset class="card">
          <legend>{t.admin.common.title}</legend>
          <TextField id="checklist-title" label={t.admin.common.title} value={form.title} error={errors["checklist-title"]} onChange={(title) => set({ title })} size="long" />
          <TextAreaField id="checklist-description" label={t.admin.common.description} optional rows={3} value={form.description} error={errors["checklist-description"]} onChange={(description) => set({ description })} />
          <TextField id="checklist-language" label={t.admin.common.language} hint={t.admin.common.languageHint} list="language-options" size="short" value={form.language} error={errors["checklist-language"]} onChange={(language) => set({ language })} />
          <LanguageOptions />
        </fieldset>
        <fieldset class="card">
          <legend>{m.items}</legend>
          <ol class="checklist-editor">
            {form.items.map((item, i) => (
              <li key={item.itemId}>
                <h3>{m.item(i + 1)}</h3>
                <TextField id={checklistIds.text(i)} label={m.itemText} value={item.text} error={errors[checklistIds.text(i)]} onChange={(text) => set({ items: replaceAt(form.items, i, { ...item, text }) })} size="long" />
                <TextAreaField id={checklistIds.details(i)} label={m.itemDetails} optional rows={2} value={item.details} error={errors[checklistIds.details(i)]} onChange={(details) => set({ items: replaceAt(form.items, i, { ...item, details }) })} />
                <ListControls
                  what={m.itemWhat(i + 1)}
                  index={i}
                  count={form.items.length}
                  min={1}
                  onMove={(by) => set({ items: move(form.items, i, by) })}
                  onRemove={() => set({ items: removeAt(form.items, i) })}
                />
              </li>
            ))}
          </ol>
          <button type="button" class="button secondary small" disabled={form.items.length >= maxChecklistItems} onClick={() => set({ items: [...form.items, newChecklistItem()] })}>
            {m.addItem}
          </button>
        </fieldset>
        {save.error !== null && <ErrorBox error={save.error} />}
        <StatusMessage>{save.status}</StatusMessage>
        <div class="actions">
          <button type="submit" class="button" disabled={save.busy}>
            {save.busy ? t.common.saving : checklist ? t.admin.common.saveChanges : t.admin.common.create}
          </button>
        </div>
      </form>
      {checklist && (
        <div class="actions">
          <ConfirmButton label={m.delete} question={m.deleteQuestion} confirmLabel={m.deleteConfirm} disabled={remove.busy} onConfirm={onDelete} />
        </div>
      )}
      {remove.error !== null && <ErrorBox error={remove.error} />}
    </>
  );
}
