import { Code } from "@connectrpc/connect";
import { useI18n } from "../../i18n/i18n.js";
import type { Session } from "../../api/session.js";
import { contentClient } from "../../api/clients.js";
import { isCode } from "../../api/errors.js";
import { useAsync } from "../../lib/useAsync.js";
import { useAction } from "../../lib/useAction.js";
import { useDraft } from "../../lib/drafts.js";
import { setFlash } from "../../lib/flash.js";
import { navigate, pathOf, queryParam } from "../../lib/router.js";
import {
  emptyItemForm,
  isItemForm,
  itemFormFrom,
  itemFromForm,
  validateItemForm,
  type ItemForm,
} from "../../lib/admin/itemForm.js";
import { AdminFrame } from "../../components/admin/AdminFrame.js";
import { CaptionsEditor } from "../../components/admin/CaptionsEditor.js";
import { ItemPreview } from "../../components/admin/ItemPreview.js";
import { TextField } from "../../components/form/Field.js";
import { useFormErrors } from "../../components/form/useFormErrors.js";
import { Loading } from "../../components/Loading.js";
import { ErrorBox } from "../../components/ErrorBox.js";
import { LanguageOptions } from "../../components/admin/LanguageOptions.js";

// A new item: CreateItem stores it as a draft; its page then submits and publishes it. Items
// have no update: "start a new item from this one" (?from=<id>) fills the form from another.
export function ItemEditorPage({ session }: { session: Session }) {
  const { t } = useI18n();
  const from = queryParam("from");
  const { state, reload } = useAsync(
    async (signal) => {
      const [settings, source] = await Promise.all([
        contentClient.getTenantSettings({ tenantId: session.tenant }, { signal }),
        from ? contentClient.getItem({ tenantId: session.tenant, itemId: from }, { signal }).then((r) => r.item ?? null) : null,
      ]);
      return { requiredDisclosure: settings.settings?.requiredDisclosureTag ?? "", source };
    },
    [session.tenant, from],
  );
  return (
    <AdminFrame title={t.admin.items.newTitle} backTo="items">
      {state.status === "loading" && <Loading />}
      {state.status === "error" && <ErrorBox error={state.error} onRetry={reload} />}
      {state.status === "ok" && (
        <ItemEditor
          session={session}
          requiredDisclosure={state.data.requiredDisclosure}
          initial={state.data.source ? itemFormFrom(state.data.source) : emptyItemForm(state.data.requiredDisclosure)}
        />
      )}
    </AdminFrame>
  );
}

function ItemEditor({ session, requiredDisclosure, initial }: { session: Session; requiredDisclosure: string; initial: ItemForm }) {
  const { t, locale } = useI18n();
  const m = t.admin.items;
  const [form, setForm, restored] = useDraft<ItemForm>("item-editor", initial, isItemForm);
  const { errors, show, formRef } = useFormErrors(() =>
    validateItemForm(form, t, requiredDisclosure, locale),
  );
  const save = useAction();
  const set = (patch: Partial<ItemForm>) => setForm({ ...form, ...patch });
  const item = itemFromForm(form, session.tenant);

  const onSubmit = async (e: Event) => {
    e.preventDefault();
    if (show(validateItemForm(form, t, requiredDisclosure, locale))) return;
    await save.run(async () => {
      try {
        const r = await contentClient.createItem({ tenantId: session.tenant, item });
        setFlash((t) => t.admin.items.created);
        navigate(pathOf({ name: "admin", section: "items", id: r.item?.itemId ?? item.itemId }));
      } catch (err) {
        // The id is chosen here, so a repeated save (a lost answer) finds the item it made.
        if (!isCode(err, Code.AlreadyExists)) throw err;
        setFlash((t) => t.admin.items.exists);
        navigate(pathOf({ name: "admin", section: "items", id: item.itemId }));
      }
    });
  };

  return (
    <>
      {restored && <p class="info">{t.tips.draftRestored}</p>}
      <form class="form admin-form" ref={formRef} onSubmit={onSubmit} noValidate>
        <fieldset class="card">
          <legend>{m.articleLegend}</legend>
          <TextField id="item-title" label={m.itemTitle} hint={m.itemTitleHint} value={form.title} error={errors["item-title"]} onChange={(title) => set({ title })} />
          <TextField id="item-url" label={m.url} hint={m.urlHint} type="url" inputMode="url" value={form.url} error={errors["item-url"]} onChange={(url) => set({ url })} size="long" />
          <TextField id="item-image" label={m.imageRef} hint={m.imageRefHint} optional value={form.imageRef} error={errors["item-image"]} onChange={(imageRef) => set({ imageRef })} size="long" />
        </fieldset>
        <CaptionsEditor value={form.captions} onChange={(captions) => set({ captions })} errors={errors} lang={form.language || undefined} />
        <fieldset class="card">
          <legend>{m.hashtagsLegend}</legend>
          <TextField id="item-hashtags" label={m.hashtags} hint={m.hashtagsHint} optional value={form.hashtags} error={errors["item-hashtags"]} onChange={(hashtags) => set({ hashtags })} size="long" />
          <TextField
            id="item-disclosure"
            label={m.disclosure}
            hint={requiredDisclosure ? m.disclosureRequired(requiredDisclosure) : m.disclosureHint}
            optional={!requiredDisclosure}
            value={form.disclosureTag}
            error={errors["item-disclosure"]}
            onChange={(disclosureTag) => set({ disclosureTag })}
          />
        </fieldset>
        <fieldset class="card">
          <legend>{m.targetingLegend}</legend>
          <TextField id="item-language" label={m.itemLanguage} hint={m.itemLanguageHint} optional list="language-options" value={form.language} error={errors["item-language"]} onChange={(language) => set({ language })} size="short" />
          <TextField id="item-groups" label={m.groups} hint={m.groupsHint} optional value={form.targetGroups} error={errors["item-groups"]} onChange={(targetGroups) => set({ targetGroups })} size="long" />
          <TextField id="item-topics" label={m.topics} hint={m.topicsHint} optional value={form.topics} error={errors["item-topics"]} onChange={(topics) => set({ topics })} size="long" />
        </fieldset>
        <fieldset class="card">
          <legend>{m.timingLegend}</legend>
          <div class="field-row">
            <TextField id="item-publish-at" type="datetime-local" label={m.publishAt} hint={m.publishAtHint} optional value={form.publishAt} error={errors["item-publish-at"]} onChange={(publishAt) => set({ publishAt })} />
            <TextField id="item-expires-at" type="datetime-local" label={m.expiresAt} hint={m.expiresAtHint} optional value={form.expiresAt} error={errors["item-expires-at"]} onChange={(expiresAt) => set({ expiresAt })} />
          </div>
        </fieldset>
        <LanguageOptions />
        <ItemPreview session={session} item={item} />
        {save.error !== null && <ErrorBox error={save.error} />}
        <div class="actions">
          <button type="submit" class="button" disabled={save.busy}>
            {save.busy ? t.common.saving : m.saveDraft}
          </button>
        </div>
      </form>
    </>
  );
}
