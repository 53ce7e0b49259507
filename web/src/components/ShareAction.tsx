import { useState } from "preact/hooks";
import { Network } from "../gen/advocacy/consent/v1/consent_pb.js";
import type { Item, Share } from "../gen/advocacy/content/v1/content_pb.js";
import { useI18n } from "../i18n/i18n.js";
import type { Session } from "../api/session.js";
import { contentClient } from "../api/clients.js";
import { networkLabel } from "../lib/labels.js";
import { composePostText, copyText, openInNewTab, shareIntentUrl } from "../lib/share.js";
import { ErrorBox } from "./ErrorBox.js";
import { ExternalLink } from "./ExternalLink.js";
import { CopyableText } from "./CopyableText.js";

interface Props {
  session: Session;
  item: Item;
  network: Network;
  // A share recorded earlier (the item page lists them), shown instead of the button.
  existing?: Share;
}

// The Share button of one network. RecordShare gives the caption variant and the tracked link;
// then the network's share dialog opens in a new tab (Instagram has none: the text is copied).
// The outcome stays visible with a link and the text, since the share cannot be recorded twice.
export function ShareAction({ session, item, network, existing }: Props) {
  const { t } = useI18n();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [share, setShare] = useState<Share | undefined>(existing);
  const [copied, setCopied] = useState<boolean | null>(null);
  const name = networkLabel(t, network);

  const onShare = async () => {
    setBusy(true);
    setError(null);
    try {
      const r = await contentClient.recordShare({
        tenantId: session.tenant,
        employeeId: session.subject,
        itemId: item.itemId,
        network,
      });
      const s = r.share;
      if (!s) throw new Error("RecordShare returned no share");
      setShare(s);
      const text = composePostText(s.caption, item.hashtags, item.disclosureTag);
      const url = shareIntentUrl(network, s.trackedUrl, text);
      if (url) openInNewTab(url);
      else setCopied(await copyText(`${text}\n\n${s.trackedUrl}`));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  if (share) {
    const text = composePostText(share.caption, item.hashtags, item.disclosureTag);
    const url = shareIntentUrl(network, share.trackedUrl, text);
    const idBase = `share-${item.itemId}-${network}`;
    return (
      <div class="share-result" role="group" aria-label={name}>
        {url ? (
          <>
            <p role="status">{t.feed.shareReady(name)}</p>
            <p>
              <ExternalLink href={url} class="button">
                {t.feed.openNetwork(name)}
              </ExternalLink>
            </p>
          </>
        ) : (
          <>
            <p role="status">
              {copied === true ? t.feed.instagramCopied : copied === false ? t.feed.copyByHand : ""} {t.feed.instagramHint}
            </p>
          </>
        )}
        <CopyableText id={`${idBase}-text`} label={t.feed.postText} text={network === Network.INSTAGRAM ? `${text}\n\n${share.trackedUrl}` : text} />
        <p class="meta">
          {t.feed.trackedLink}: <span class="break">{share.trackedUrl}</span>
        </p>
      </div>
    );
  }
  return (
    <div class="share-action">
      <button type="button" class="button" disabled={busy} onClick={onShare}>
        {busy ? t.feed.sharing : t.feed.shareOn(name)}
      </button>
      {error !== null && <ErrorBox error={error} />}
    </div>
  );
}
