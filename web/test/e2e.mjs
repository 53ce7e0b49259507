// The end-to-end proof, in real Chromium against a running system: npm run test:e2e
//
//   ADVOCACY_WEB_URL         the app's origin (the gateway behind https); required
//   ADVOCACY_WEB_CA_FILE     the CA Chromium trusts for it (the local stack's); or, as a fallback,
//   ADVOCACY_WEB_IGNORE_HTTPS_ERRORS=1
//   ADVOCACY_SMTP_MAILS      the SMTP sink's file (one JSON line per mail); required
//   ADVOCACY_WEB_ARTIFACTS   where the screenshots go (every page, English and Norwegian)
//   ADVOCACY_E2E_EMPLOYEE    default kari.nordmann;  ADVOCACY_E2E_ADMIN  default hr-admin
//   ADVOCACY_WEB_PASSWORD    their password (default "demo"; the local provider takes any)
//
// An employee opts in to sharing on LinkedIn and to email tips; an admin, in a second browser
// context, writes, submits and publishes an item; the employee's feed offers it, Share opens
// LinkedIn's share dialog with the tracked link (every request to the networks is answered here,
// nothing leaves the machine); a second item is scheduled for later and shown as scheduled in the
// feed and on its page; the tip mail reaches the SMTP sink and its link opens the item in the app;
// one click opts out (which cancels the scheduled share) and the feed no longer offers the item;
// the admin publishes a course
// the employee completes; its certificate is confirmed on /verify by a browser with no session.
//
// Every app page visited is checked with axe-core (no serious or critical violation) and saved
// as a full-page screenshot in English and in Norwegian. Titles are unique per run, so the test
// can run again and again on the same tenant. The steps run in order; a step whose prerequisite
// failed is skipped and names it.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { appUrl, checkA11y, launch, newContext, screenshot, signIn } from "./helpers.mjs";
import { mailLinks, mailOffset, mailsFile, mailsSince } from "./mail.mjs";

if (!appUrl || !mailsFile) {
  console.error("e2e.mjs: set ADVOCACY_WEB_URL (the app) and ADVOCACY_SMTP_MAILS (the SMTP sink's file)");
  process.exit(2);
}

const employee = { user: process.env.ADVOCACY_E2E_EMPLOYEE ?? "kari.nordmann", password: process.env.ADVOCACY_WEB_PASSWORD ?? "demo" };
const admin = { user: process.env.ADVOCACY_E2E_ADMIN ?? "hr-admin", password: process.env.ADVOCACY_WEB_PASSWORD ?? "demo" };

const runId = new Date().toISOString().replace(/\D/g, "").slice(0, 14) + Math.random().toString(36).slice(2, 6);
const itemTitle = `E2E ${runId}: our new plant opens`;
const itemUrl = `https://news.demo-corp.example/e2e/${runId}`;
const caption = `We opened a new plant today (${runId}). Proud of the team!`;
const laterTitle = `E2E ${runId}: the plant's first week`;
const laterCaption = `One week in at the new plant (${runId}).`;
const courseTitle = `E2E course ${runId}: sharing safely`;
const lessonBody = "Sharing company news is **your own choice**, and you can stop at any time.";
const quizPrompt = "Is sharing company content voluntary?";
const rightAnswer = "Yes, always";
const wrongAnswer = "No, it is required";

// Requests to the social networks never leave the machine: each is answered here and recorded.
const networkHosts = /^https?:\/\/([a-z0-9-]+\.)*(linkedin\.com|facebook\.com|twitter\.com|x\.com)(\/|$)/i;

let browser;
let employeeCtx;
let adminCtx;
let emp; // the employee's page
let adm; // the admin's page
const problems = [];
const networkRequests = [];
const done = new Set();
const shared = {};

const settled = (page) => page.locator(".loading").first().waitFor({ state: "detached", timeout: 20000 });
const h1 = (page) => page.locator("h1").first();
const statusWith = (page, text) => page.locator(".status-message").filter({ hasText: text }).first();
let shot = 0;

async function guard(context) {
  await context.route(networkHosts, (route) => {
    networkRequests.push(route.request().url());
    return route.fulfill({ status: 200, contentType: "text/html", body: "<!doctype html><title>network</title><p>answered by the test" });
  });
}

function trackPage(page, who) {
  page.setDefaultTimeout(20000);
  page.on("console", (m) => {
    if (m.type() === "error" && /Content Security Policy|Refused to/i.test(m.text())) problems.push(`${who}: CSP: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`${who}: uncaught: ${e.message}`));
}

// The page as it is, checked with axe and saved, in English and then in Norwegian (the language
// button), and back to English for the next step's English selectors.
async function capture(page, name) {
  await settled(page);
  const base = `e2e-${String(++shot).padStart(2, "0")}-${name}`;
  await checkA11y(page, `${name} (en)`);
  await screenshot(page, `${base}-en`);
  await page.getByRole("button", { name: "På norsk" }).click();
  await page.waitForFunction(() => document.documentElement.lang === "nb");
  await settled(page);
  await checkA11y(page, `${name} (nb)`);
  await screenshot(page, `${base}-nb`);
  await page.getByRole("button", { name: "In English" }).click();
  await page.waitForFunction(() => document.documentElement.lang === "en");
}

async function open(page, path) {
  await page.goto(`${appUrl}${path}`);
  await settled(page);
  assert.equal(await page.locator(".error-box").count(), 0, `${path} shows an error: ${await page.locator(".error-box").allInnerTexts()}`);
}

// Runs a step only when the steps it builds on passed; marks it passed at the end.
function step(name, needs, body) {
  test(name, async (t) => {
    const missing = needs.filter((n) => !done.has(n));
    if (missing.length > 0) return t.skip(`needs the step(s) that failed or were skipped: ${missing.join(", ")}`);
    const before = problems.length;
    await body(t);
    assert.deepEqual(problems.slice(before), [], `${name}: the pages reported CSP violations or uncaught errors`);
    done.add(name.split(":")[0]);
  });
}

async function poll(what, seconds, fn) {
  const end = Date.now() + seconds * 1000;
  let last;
  while (Date.now() < end) {
    last = await fn();
    if (last) return last;
    await new Promise((r) => setTimeout(r, 1000));
  }
  assert.fail(`${what}: not within ${seconds} s`);
}

const consentSwitches = (page) => page.getByRole("switch");
const linkedinSharing = (page) => page.getByRole("group", { name: /Share company content/ }).getByRole("switch", { name: "LinkedIn" });
const emailTips = (page) => page.getByRole("switch", { name: "Email tips about what is worth sharing" });

async function allOff(page) {
  const switches = await consentSwitches(page).all();
  for (const s of switches) if (await s.isChecked()) return false;
  return switches.length > 0;
}

describe("end to end", () => {
  before(async () => {
    browser = await launch();
    employeeCtx = await newContext(browser);
    adminCtx = await newContext(browser);
    await guard(employeeCtx);
    await guard(adminCtx);
    emp = await employeeCtx.newPage();
    adm = await adminCtx.newPage();
    trackPage(emp, employee.user);
    trackPage(adm, admin.user);
  });
  after(async () => {
    await browser?.close();
  });

  step("step 1: the employee signs in; the administration is not offered", [], async () => {
    await signIn(emp, employee);
    await settled(emp);
    await capture(emp, "feed-before");
    const nav = emp.getByRole("navigation", { name: "Main" });
    assert.equal(await nav.getByRole("link", { name: "Administration" }).count(), 0, "the employee's navigation offers Administration");
    await open(emp, "/admin/items");
    assert.match(await emp.locator("main").innerText(), /does not have access/, "an employee opening /admin was not told it is not for them");
    assert.equal(await emp.getByRole("link", { name: "New item" }).count(), 0, "an employee sees the admin tools");
  });

  step("step 2: the admin signs in in a second browser context", [], async () => {
    await signIn(adm, admin);
    await open(adm, "/admin");
    assert.equal(await h1(adm).innerText(), "Administration");
    await capture(adm, "admin-overview");
  });

  step("step 3: consent starts from all off, then LinkedIn sharing and email tips are turned on", ["step 1"], async () => {
    await open(emp, "/consent");
    if (await emp.getByText(/has not published a consent notice/).count()) {
      // A tenant without a notice: the admin publishes one, as the communications team would.
      assert.ok(done.has("step 2"), "the tenant has no consent notice and the admin could not sign in to publish one");
      await open(adm, "/admin/notices");
      await adm.getByLabel("Version").fill(`e2e-${runId}`);
      await adm.getByLabel("What changed").fill("Sharing company content from your own accounts is voluntary.");
      await adm.getByLabel("Where the full text is").fill("https://intranet.example/advocacy/consent");
      await adm.getByRole("button", { name: "Publish this version" }).click();
      await statusWith(adm, "is published").waitFor();
      await open(emp, "/consent");
    }
    await capture(emp, "consent-initial");
    if (!(await allOff(emp))) {
      await emp.getByRole("button", { name: "Turn everything off" }).click();
      await statusWith(emp, "Everything is turned off").waitFor();
      assert.ok(await allOff(emp), "after Turn everything off, some switch still shows on");
      await emp.reload();
      await settled(emp);
      assert.ok(await allOff(emp), "after Turn everything off and a reload, some switch still shows on");
      await capture(emp, "consent-all-off");
    }
    await linkedinSharing(emp).click();
    await statusWith(emp, "Turned on").waitFor();
    await emailTips(emp).click();
    await statusWith(emp, "Turned on: Email tips").waitFor();
    await emp.reload();
    await settled(emp);
    assert.ok(await linkedinSharing(emp).isChecked(), "LinkedIn sharing is not on after turning it on");
    assert.ok(await emailTips(emp).isChecked(), "email tips are not on after turning them on");
    await capture(emp, "consent-opted-in");
  });

  step("step 4: the employee has an address for tips and instant, unfiltered tip mail", ["step 1"], async () => {
    await open(emp, "/tips");
    const line = emp.locator("#tips-recipient");
    let text = await line.innerText();
    if (!/mailed to/.test(text)) {
      // No address yet: the communications team registers one (UpsertRecipient is admin-only).
      assert.ok(done.has("step 2"), "the employee has no address and the admin could not sign in to register one");
      await open(adm, "/admin/recipients");
      await adm.getByLabel("Employee ID").fill(employee.user);
      await adm.getByRole("button", { name: "Look up" }).click();
      await adm.getByLabel("Email address").fill(`${employee.user}@demo-corp.localhost`);
      await adm.getByRole("button", { name: "Save" }).click();
      await statusWith(adm, "is saved").waitFor();
      await capture(adm, "admin-recipients");
      await open(emp, "/tips");
      text = await line.innerText();
    }
    const email = /mailed to (\S+@\S+?)\.?$/.exec(text.trim())?.[1];
    assert.ok(email, `the tips page names no address: "${text}"`);
    shared.email = email;
    await emp.getByLabel("Right away, one email per tip").check();
    const quiet = emp.getByLabel("No email during quiet hours");
    if (await quiet.isChecked()) await quiet.uncheck();
    for (const topic of ["Content worth sharing", "New courses", "Live broadcasts"]) await emp.getByLabel(topic).check();
    await emp.getByLabel("At most this many emails a week").fill("0");
    await emp.getByRole("button", { name: "Save" }).click();
    await statusWith(emp, "saved").waitFor();
    await capture(emp, "tips");
  });

  step("step 5: the admin writes, submits and publishes an item with a LinkedIn caption", ["step 2"], async () => {
    // Enough shares per day for repeated runs (0 means the default of 5).
    await open(adm, "/admin/settings");
    await capture(adm, "admin-settings");
    const cap = adm.getByLabel("Shares per employee per network per day");
    if (Number(await cap.inputValue()) < 20) {
      await cap.fill("100");
      await adm.getByRole("form", { name: "Sharing" }).getByRole("button", { name: "Save" }).click();
      await statusWith(adm, "sharing settings are saved").waitFor();
    }
    const disclosure = await adm.getByLabel(/Required disclosure tag/).inputValue();

    await open(adm, "/admin/items");
    await capture(adm, "admin-items");
    await adm.getByRole("link", { name: "New item" }).click();
    await settled(adm);
    assert.equal(await h1(adm).innerText(), "New item");
    // An empty save explains what is missing, next to the fields.
    await adm.getByRole("button", { name: "Save as draft" }).click();
    await adm.locator(".field-error").first().waitFor();
    await adm.waitForFunction(() => document.activeElement?.id === "item-title", null, { timeout: 5000 }).catch(() => {});
    assert.equal(await adm.evaluate(() => document.activeElement?.id), "item-title", "an invalid form does not move the focus to the first invalid field");
    await adm.getByLabel("Title", { exact: true }).fill(itemTitle);
    await adm.getByLabel("Link to share").fill(itemUrl);
    await adm.getByLabel("LinkedIn: Variant 1").fill(caption);
    assert.equal((await adm.locator("#caption-1-0-count").innerText()).trim(), `${[...caption].length} of 3,000 characters`, "the LinkedIn counter");
    await adm.getByLabel("Hashtags").fill("e2e advocacy");
    if (disclosure) await adm.getByLabel(/Disclosure tag/).fill(disclosure);
    const preview = adm.locator(".preview-frame");
    await preview.getByRole("heading", { name: itemTitle }).waitFor();
    await preview.getByText(caption).waitFor();
    assert.ok(await preview.getByRole("button", { name: "Share on LinkedIn" }).isDisabled(), "the preview's Share button is not inert");
    await capture(adm, "admin-item-editor");
    await adm.getByRole("button", { name: "Save as draft" }).click();
    await adm.waitForURL(/\/admin\/items\/(?!new)[^/?]+$/);
    shared.itemId = decodeURIComponent(new URL(adm.url()).pathname.split("/").pop());
    await adm.getByRole("heading", { level: 1, name: itemTitle }).waitFor();
    await settled(adm);
    await adm.getByText("The draft is saved").waitFor();
    await adm.getByText("Draft", { exact: true }).first().waitFor();
    await capture(adm, "admin-item-draft");
    await adm.getByRole("button", { name: "Submit for review" }).click();
    await statusWith(adm, "Submitted for review").waitFor();
    shared.mailOffset = mailOffset();
    await adm.getByRole("button", { name: "Publish", exact: true }).click();
    await statusWith(adm, "Published").waitFor();
    await adm.getByText("Published", { exact: true }).first().waitFor();
    await capture(adm, "admin-item-published");
    await open(adm, "/admin/items");
    await adm.getByLabel("Show").selectOption({ label: "Published" });
    await adm.getByRole("link", { name: itemTitle }).waitFor();
  });

  step("step 5b: the admin starts a second item from the first and publishes it", ["step 5"], async () => {
    await open(adm, `/admin/items/${encodeURIComponent(shared.itemId)}`);
    await adm.getByRole("link", { name: "Start a new item from this one" }).click();
    await settled(adm);
    assert.equal(await h1(adm).innerText(), "New item");
    await adm.getByLabel("Title", { exact: true }).fill(laterTitle);
    await adm.getByLabel("LinkedIn: Variant 1").fill(laterCaption);
    await adm.getByRole("button", { name: "Save as draft" }).click();
    await adm.waitForURL(/\/admin\/items\/(?!new)[^/?]+$/);
    shared.laterId = decodeURIComponent(new URL(adm.url()).pathname.split("/").pop());
    await adm.getByRole("heading", { level: 1, name: laterTitle }).waitFor();
    await settled(adm);
    await adm.getByRole("button", { name: "Submit for review" }).click();
    await statusWith(adm, "Submitted for review").waitFor();
    await adm.getByRole("button", { name: "Publish", exact: true }).click();
    await statusWith(adm, "Published").waitFor();
  });

  step("step 6: the employee's feed offers the item on LinkedIn", ["step 3", "step 5"], async () => {
    const card = emp.locator("article.item", { has: emp.getByRole("heading", { name: itemTitle }) });
    await poll("the item in the employee's feed", 30, async () => {
      await open(emp, "/feed");
      return (await card.count()) > 0;
    });
    await card.getByText(caption).waitFor();
    await card.getByRole("button", { name: "Share on LinkedIn" }).waitFor();
    await capture(emp, "feed-with-item");
  });

  step("step 7: Share opens LinkedIn's share dialog with the tracked link", ["step 6"], async () => {
    const card = emp.locator("article.item", { has: emp.getByRole("heading", { name: itemTitle }) });
    const before = networkRequests.length;
    const [popup] = await Promise.all([employeeCtx.waitForEvent("page"), card.getByRole("button", { name: "Share on LinkedIn" }).click()]);
    await popup.waitForURL(/^https:\/\/www\.linkedin\.com\/sharing\/share-offsite\//);
    const intent = new URL(popup.url());
    const tracked = intent.searchParams.get("url") ?? "";
    await popup.close();
    assert.equal(`${intent.origin}${intent.pathname}`, "https://www.linkedin.com/sharing/share-offsite/", `unexpected share URL ${intent.href}`);
    assert.match(tracked, /^https?:\/\/[^/]+\/.*[A-Za-z0-9]{6,}$/, `the share URL carries no tracked link: ${intent.href}`);
    assert.notEqual(tracked, itemUrl, "the share URL carries the article's own address, not a tracked link");
    await card.getByText(/Your share on LinkedIn is ready/).waitFor();
    assert.equal((await card.locator(".share-result .break").innerText()).trim(), tracked, "the page and the share dialog show different links");
    // The dialog's URL is the server's (RecordShare's share_intent_url): exactly the documented
    // form with the tracked link percent-encoded, and the page's own link to it is the same.
    assert.equal(intent.href, `https://www.linkedin.com/sharing/share-offsite/?url=${encodeURIComponent(tracked)}`, "the share URL is not the server's");
    assert.equal(await card.getByRole("link", { name: /Open LinkedIn to post/ }).getAttribute("href"), intent.href, "the page links to another share URL than it opened");
    await card.getByText(/ \/ 3,000 characters, as LinkedIn counts them/).waitFor();
    assert.ok(networkRequests.slice(before).some((u) => u.startsWith("https://www.linkedin.com/sharing/share-offsite/")), "the request to LinkedIn was not intercepted");
    shared.tracked = tracked;
    await capture(emp, "feed-shared");
  });

  step("step 7b: Schedule for later records a share shown as scheduled in the feed and on the item's page", ["step 6", "step 5b"], async () => {
    const card = emp.locator("article.item", { has: emp.getByRole("heading", { name: laterTitle }) });
    await poll("the second item in the employee's feed", 30, async () => {
      await open(emp, "/feed");
      return (await card.count()) > 0;
    });
    await card.getByRole("button", { name: "Schedule for later" }).click();
    const when = card.getByLabel(/^Date and time \(your time zone/);
    await when.waitFor();
    await emp.waitForFunction(() => document.activeElement?.getAttribute("type") === "datetime-local", null, { timeout: 5000 }).catch(() => {});
    assert.equal(await emp.evaluate(() => document.activeElement?.getAttribute("type")), "datetime-local", "Schedule for later does not move the focus to the time");
    // Nothing chosen: explained next to the field, which keeps the focus.
    await card.getByRole("button", { name: "Schedule on LinkedIn" }).click();
    await card.getByText("Choose a date and a time.").waitFor();
    assert.equal(await when.getAttribute("aria-invalid"), "true", "the empty time is not marked invalid");
    // Two days ahead at 12:00 in the browser's zone (the employee's), as a person types it.
    const local = await emp.evaluate(() => {
      const d = new Date(Date.now() + 2 * 24 * 3600e3);
      const p = (n) => String(n).padStart(2, "0");
      return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T12:00`;
    });
    const shown = await emp.evaluate((v) => new Intl.DateTimeFormat("en-GB", { dateStyle: "medium", timeStyle: "short" }).format(new Date(v)), local);
    await when.fill(local);
    const before = networkRequests.length;
    await card.getByRole("button", { name: "Schedule on LinkedIn" }).click();
    await card.getByText(`Scheduled for ${shown}.`).waitFor();
    assert.equal(networkRequests.length, before, "scheduling opened the network's dialog");
    const tracked = (await card.locator(".share-result .break").innerText()).trim();
    assert.equal(
      await card.getByRole("link", { name: /Open LinkedIn to post/ }).getAttribute("href"),
      `https://www.linkedin.com/sharing/share-offsite/?url=${encodeURIComponent(tracked)}`,
      "the scheduled share's dialog does not carry its tracked link",
    );
    await capture(emp, "feed-scheduled");
    // Listed with the scheduled shares (ListMyShares), and on the item's page with its state.
    await open(emp, "/feed");
    const list = emp.getByRole("region", { name: "Your scheduled shares" });
    await list.getByText(`LinkedIn, ${shown}`).waitFor();
    await list.getByRole("link", { name: laterTitle }).click();
    await emp.getByRole("heading", { level: 1, name: laterTitle }).waitFor();
    await settled(emp);
    await emp.getByRole("heading", { name: "Scheduled on LinkedIn" }).waitFor();
    await emp.getByText(`Scheduled for ${shown}.`).waitFor();
    assert.equal((await emp.locator(".share-result .break").innerText()).trim(), tracked, "the item page shows another link than the scheduled share's");
    await capture(emp, "item-scheduled");
  });

  step("step 8: the tip mail arrives, and its link opens the item in the app", ["step 4", "step 5"], async () => {
    const mail = await poll(`a mail to ${shared.email} naming "${itemTitle}" in ${mailsFile}`, 60, async () =>
      mailsSince(shared.mailOffset, shared.email, (m) => m.subject.includes(itemTitle) || m.text.includes(itemTitle))[0],
    );
    const links = mailLinks(mail);
    const appLinks = links.filter((l) => l.startsWith(`${appUrl}/`));
    assert.ok(
      appLinks.length > 0,
      `the tip mail "${mail.subject}" links to no page of the app (${appUrl}); its links: ${links.join(" ")}`,
    );
    const link = appLinks.find((l) => new URL(l).pathname.startsWith("/content/")) ?? appLinks[0];
    await emp.goto(link);
    await settled(emp);
    const title = await h1(emp).innerText();
    assert.notEqual(title, "Page not found", `the mail's link ${link} opens the not-found page`);
    assert.equal(title, itemTitle, `the mail's link ${link} opens "${title}", not the item`);
    await capture(emp, "item-from-mail");
  });

  step("step 9: one click opts out; the feed no longer offers the item", ["step 3"], async () => {
    await open(emp, "/consent");
    await emp.getByRole("button", { name: "Turn everything off" }).click();
    await statusWith(emp, "Everything is turned off").waitFor();
    assert.ok(await allOff(emp), "after opting out some switch still shows on");
    await capture(emp, "consent-opted-out");
    // The withdrawal also cancels the scheduled share (step 7b), so the feed names LinkedIn nowhere.
    await poll("the feed without the item, Share buttons or scheduled shares", 15, async () => {
      await open(emp, "/feed");
      return (
        (await emp.getByRole("heading", { name: itemTitle }).count()) === 0 &&
        (await emp.getByRole("button", { name: /^Share on / }).count()) === 0 &&
        (await emp.getByText("LinkedIn").count()) === 0
      );
    });
    assert.equal(await emp.getByText("LinkedIn").count(), 0, "the feed still mentions LinkedIn after opting out");
    await capture(emp, "feed-after-opt-out");
  });

  step("step 10: the admin creates and publishes a course with a text lesson and a quiz", ["step 2"], async () => {
    await open(adm, "/admin/courses");
    await capture(adm, "admin-courses");
    await adm.getByRole("link", { name: "New course" }).click();
    await settled(adm);
    await adm.getByLabel("Title", { exact: true }).fill(courseTitle);
    await adm.getByLabel("Description").fill("A short course about sharing company news on your own terms.");
    await adm.getByLabel("Level").selectOption({ label: "Beginner" });
    await adm.getByLabel("Language", { exact: true }).fill("en");
    await adm.locator("#module-0-title").fill("Your choice");
    await adm.locator("#lesson-0-0-title").fill("Voluntary, always");
    await adm.locator("#lesson-0-0-minutes").fill("3");
    await adm.locator("#lesson-0-0-body").fill(lessonBody);
    await adm.getByRole("button", { name: "Add a lesson to module 1" }).click();
    await adm.locator("#lesson-0-1-title").fill("Check yourself");
    await adm.locator("#lesson-0-1-minutes").fill("2");
    await adm.locator("#lesson-0-1-kind-quiz").check();
    await adm.locator("#lesson-0-1-q-0-prompt").fill(quizPrompt);
    await adm.locator("#lesson-0-1-q-0-choice-0").fill(rightAnswer);
    await adm.locator("#lesson-0-1-q-0-choice-1").fill(wrongAnswer);
    await adm.locator("#lesson-0-1-q-0-correct-0").check();
    await capture(adm, "admin-course-editor");
    await adm.getByRole("button", { name: "Save draft" }).click();
    await adm.waitForURL(/\/admin\/courses\/(?!new)[^/?]+$/);
    shared.courseId = decodeURIComponent(new URL(adm.url()).pathname.split("/").pop());
    await adm.getByRole("heading", { level: 1, name: courseTitle }).waitFor();
    await settled(adm);
    await adm.getByText("The draft course is saved").waitFor();
    await capture(adm, "admin-course-draft");
    await adm.getByRole("button", { name: "Publish", exact: true }).click();
    await adm.getByRole("button", { name: "Yes, publish" }).click();
    await adm.getByText("This course is published and can no longer be changed.").waitFor();
    await adm.getByText(`${rightAnswer} (correct)`).waitFor();
    await capture(adm, "admin-course-published");
  });

  step("step 11: the employee takes the course to its certificate", ["step 1", "step 10"], async () => {
    await open(emp, "/courses");
    await emp.getByRole("link", { name: courseTitle }).click();
    await settled(emp);
    assert.equal(await h1(emp).innerText(), courseTitle);
    await capture(emp, "course-before");
    await emp.getByRole("button", { name: "Start this course" }).click();
    await statusWith(emp, "You have started this course").waitFor();
    await emp.getByRole("button", { name: "Mark as done" }).click();
    await emp.getByText("Done", { exact: true }).first().waitFor();
    await emp.getByLabel(rightAnswer).check();
    await emp.getByRole("button", { name: "Check my answers" }).click();
    await emp.getByText("You passed.").waitFor();
    const card = emp.locator("section.certificate");
    await card.waitFor();
    const code = (await card.locator("code").innerText()).trim();
    assert.match(code.replace(/-/g, ""), /^[0-9A-Z]{26}$/, `the certificate shows no 26-character code: "${code}"`);
    shared.code = code;
    await capture(emp, "course-completed");
    await card.getByRole("link", { name: "Open the printable certificate" }).click();
    await settled(emp);
    assert.equal(await h1(emp).innerText(), "Certificate of completion");
    await emp.getByText(courseTitle).waitFor();
    assert.equal((await emp.locator("#certificate-code").innerText()).trim(), code, "the printable certificate shows another code");
    const verifyHref = await emp.locator(".certificate-code a").getAttribute("href");
    const verify = new URL(verifyHref ?? "", appUrl);
    assert.equal(verify.pathname, "/verify", `the certificate links to ${verifyHref}, not /verify`);
    assert.ok(verify.searchParams.get("tenant") && verify.searchParams.get("code"), `the verify link lacks the tenant or the code: ${verifyHref}`);
    shared.verify = verify.href;
    await capture(emp, "certificate");
    // Signed in, the check page confirms it too.
    await emp.goto(shared.verify);
    await emp.locator(".verified").getByText(courseTitle).waitFor();
    await capture(emp, "verify-signed-in");
    await emp.goBack();
    await settled(emp);
    // The print view leaves out the app's header, navigation and buttons.
    await emp.emulateMedia({ media: "print" });
    assert.ok(!(await emp.locator(".site-header").isVisible()), "the print view shows the app's header");
    assert.ok(!(await emp.getByRole("button", { name: "Print or save as PDF" }).isVisible()), "the print view shows the Print button");
    await screenshot(emp, `e2e-${String(++shot).padStart(2, "0")}-certificate-print`);
    await emp.emulateMedia({ media: "screen" });
  });

  step("step 12: the certificate is confirmed on /verify in a fresh context without a session", ["step 11"], async () => {
    const anon = await newContext(browser);
    await guard(anon);
    const page = await anon.newPage();
    trackPage(page, "anonymous");
    try {
      await page.goto(shared.verify);
      const status = await page.evaluate(async () => (await fetch("/auth/session", { cache: "no-store" })).status);
      assert.equal(status, 401, "the fresh context has a session");
      await settled(page);
      await page.locator(".verified, .warning, .error-box").first().waitFor();
      const warning = await page.locator(".warning").allInnerTexts();
      assert.equal(await page.locator(".verified").count(), 1, `/verify did not confirm the certificate without a session: ${warning.join(" ")}${await page.locator(".error-box").allInnerTexts()}`);
      await page.locator(".verified").getByText(courseTitle).waitFor();
      await capture(page, "verify-valid");
      await page.goto(`${appUrl}/verify?tenant=${encodeURIComponent(new URL(shared.verify).searchParams.get("tenant"))}&code=${"0".repeat(26)}`);
      await settled(page);
      await page.getByText(/No certificate with this code was found/).waitFor();
      await capture(page, "verify-not-found");
    } finally {
      await anon.close();
    }
  });

  step("step 13: the admin pages that the story did not need load and pass axe", ["step 2"], async () => {
    for (const [path, title] of [
      ["/admin/checklists", "Checklists"],
      ["/admin/checklists/new", "New checklist"],
      ["/admin/broadcasts", "Live broadcasts"],
      ["/admin/broadcasts/new", "New live broadcast"],
      ["/admin/notices", "Consent notice"],
      ["/admin/engagement", "Engagement"],
      ["/admin/recipients", "Email addresses"],
    ]) {
      await open(adm, path);
      assert.equal(await h1(adm).innerText(), title, `${path} has the heading "${await h1(adm).innerText()}"`);
      await capture(adm, `admin${path.replace(/\//g, "-").replace(/^-admin/, "")}`);
    }
  });

  step("step 14: the admin archives the items and the course (the tenant is left tidy)", ["step 5"], async () => {
    for (const id of [shared.itemId, shared.laterId].filter(Boolean)) {
      await open(adm, `/admin/items/${encodeURIComponent(id)}`);
      await adm.getByRole("button", { name: "Archive" }).click();
      await adm.getByRole("button", { name: "Yes, archive" }).click();
      await statusWith(adm, "Archived").waitFor();
    }
    if (shared.courseId) {
      await open(adm, `/admin/courses/${encodeURIComponent(shared.courseId)}`);
      await adm.getByRole("button", { name: "Archive" }).click();
      await adm.getByRole("button", { name: "Yes, archive" }).click();
      await statusWith(adm, "Archived").waitFor();
      await adm.getByText("This course is archived").waitFor();
    }
  });
});
