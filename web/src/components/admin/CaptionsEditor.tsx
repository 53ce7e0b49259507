import { Network } from "../../gen/advocacy/consent/v1/consent_pb.js";
import { useI18n } from "../../i18n/i18n.js";
import { networkLabel } from "../../lib/labels.js";
import { move, removeAt, replaceAt } from "../../lib/formValues.js";
import { captionId, captionLimit, maxVariants, type NetworkCaptionsForm } from "../../lib/admin/itemForm.js";
import { CheckboxField, TextAreaField } from "../form/Field.js";
import { CharCounter } from "../form/CharCounter.js";
import { ListControls } from "../form/ListControls.js";

interface Props {
  value: NetworkCaptionsForm[];
  onChange: (v: NetworkCaptionsForm[]) => void;
  errors: Record<string, string>;
  lang?: string;
}

// Per network: whether the item is offered there, and its caption variants, each with a live
// count against the network's limit.
export function CaptionsEditor({ value, onChange, errors, lang }: Props) {
  const { t } = useI18n();
  const m = t.admin.items;
  const setNetwork = (i: number, next: NetworkCaptionsForm) => onChange(replaceAt(value, i, next));
  return (
    <fieldset class="card" aria-describedby="captions-hint">
      <legend>{m.captionsLegend}</legend>
      <p id="captions-hint" class="hint">
        {m.captionsHint}
      </p>
      {value.map((nc, ni) => {
        const name = networkLabel(t, nc.network as Network);
        const limit = captionLimit[nc.network] ?? 0;
        return (
          <div class="network-captions" key={nc.network}>
            <CheckboxField
              id={ni === 0 ? "item-networks" : `item-network-${nc.network}`}
              label={m.offerOn(name)}
              checked={nc.enabled}
              error={ni === 0 ? errors["item-networks"] : undefined}
              onChange={(enabled) => setNetwork(ni, { ...nc, enabled })}
            />
            {nc.enabled && (
              <div class="variants">
                {nc.captions.map((text, vi) => {
                  const id = captionId(nc.network, vi);
                  return (
                    <div class="variant" key={vi}>
                      <TextAreaField
                        id={id}
                        label={`${name}: ${m.variant(vi + 1)}`}
                        value={text}
                        rows={nc.network === Network.LINKEDIN || nc.network === Network.FACEBOOK ? 5 : 3}
                        lang={lang}
                        error={errors[id]}
                        describedBy={`${id}-count`}
                        onChange={(v) => setNetwork(ni, { ...nc, captions: replaceAt(nc.captions, vi, v) })}
                        after={<CharCounter id={`${id}-count`} text={text.trim()} limit={limit} />}
                      />
                      {nc.captions.length > 1 && (
                        <ListControls
                          what={m.variantWhat(name, vi + 1)}
                          index={vi}
                          count={nc.captions.length}
                          min={1}
                          onMove={(by) => setNetwork(ni, { ...nc, captions: move(nc.captions, vi, by) })}
                          onRemove={() => setNetwork(ni, { ...nc, captions: removeAt(nc.captions, vi) })}
                        />
                      )}
                    </div>
                  );
                })}
                <button
                  type="button"
                  class="button secondary small"
                  disabled={nc.captions.length >= maxVariants}
                  onClick={() => setNetwork(ni, { ...nc, captions: [...nc.captions, ""] })}
                >
                  {m.addVariant(name)}
                </button>
              </div>
            )}
          </div>
        );
      })}
    </fieldset>
  );
}
