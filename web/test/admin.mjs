// Browser tests of the communications team's pages (/admin) against a running gateway:
// node --test test/admin.mjs  (npm run test:admin)
//
//   ADVOCACY_WEB_URL          the app's origin (required)
//   ADVOCACY_WEB_CA_FILE      the CA Chromium trusts (or ADVOCACY_WEB_IGNORE_HTTPS_ERRORS=1)
//   ADVOCACY_WEB_ADMIN        an admin of the provider (default hr-admin)
//   ADVOCACY_WEB_USER         an employee (default kari.nordmann): admin pages must refuse them
//   ADVOCACY_WEB_PASSWORD     the password (default "demo")
//   ADVOCACY_WEB_ARTIFACTS    screenshots (desktop and 360 px)
//
// Every admin page passes axe at desktop width and at 360 px without horizontal scrolling; the
// forms explain errors next to the fields and move the focus there; checklists, broadcasts,
// settings, notices and mail addresses go through their RPCs. They change the tenant (a
// checklist and a broadcast made and removed per run, a notice version per run): use a test
// tenant.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { appUrl, checkA11y, checkPage, launch, newContext, signIn, watchPage } from "./helpers.mjs";

if (!appUrl) {
  console.error("admin.mjs: set ADVOCACY_WEB_URL to the app's origin (the gateway)");
  process.exit(2);
}

const password = process.env.ADVOCACY_WEB_PASSWORD ?? "demo";
const admin = { user: process.env.ADVOCACY_WEB_ADMIN ?? "hr-admin", password };
const employee = { user: process.env.ADVOCACY_WEB_USER || "kari.nordmann", password };
const runId = new Date().toISOString().replace(/\D/g, "").slice(0, 14);

const settled = (page) => page.locator(".loading").first().waitFor({ state: "detached", timeout: 20000 });
const h1 = (page) => page.locator("h1").first();
const status = (page, text) => page.locator(".status-message").filter({ hasText: text }).first();
// The id of the focused element once it is `expected` (waiting up to 5 s for the move), else
// whatever has the focus then.
const focusedId = async (page, expected = "") => {
  if (expected) {
    await page.waitForFunction((id) => document.activeElement?.id === id, expected, { timeout: 5000 }).catch(() => {});
  }
  return page.evaluate(() => document.activeElement?.id ?? "");
};

async function open(page, path) {
  await page.goto(`${appUrl}${path}`);
  await settled(page);
  assert.equal(await page.locator(".error-box").count(), 0, `${path} shows an error: ${await page.locator(".error-box").allInnerTexts()}`);
}

describe("admin pages", () => {
  let browser;
  let page;
  let problems;
  before(async () => {
    browser = await launch();
    const context = await newContext(browser);
    page = await context.newPage();
    page.setDefaultTimeout(20000);
    problems = watchPage(page);
    await signIn(page, admin);
  });
  after(async () => {
    await browser?.close();
  });

  test("every section loads and passes axe at desktop width and at 360 px", async () => {
    for (const [path, title] of [
      ["/admin", "Administration"],
      ["/admin/items", "Items"],
      ["/admin/items/new", "New item"],
      ["/admin/courses", "Courses"],
      ["/admin/courses/new", "New course"],
      ["/admin/checklists", "Checklists"],
      ["/admin/checklists/new", "New checklist"],
      ["/admin/broadcasts", "Live broadcasts"],
      ["/admin/broadcasts/new", "New live broadcast"],
      ["/admin/notices", "Consent notice"],
      ["/admin/settings", "Settings"],
      ["/admin/engagement", "Engagement"],
      ["/admin/recipients", "Email addresses"],
    ]) {
      await open(page, path);
      assert.equal(await h1(page).innerText(), title, `${path}`);
      await checkPage(page, `admin${path.replace(/\//g, "-").replace(/^-admin/, "")}`);
    }
    assert.deepEqual(problems, []);
  });

  test("the item editor: errors beside the fields, live counters, an X caption over 280 refused, the preview follows", async () => {
    await open(page, "/admin/items/new");
    await page.getByRole("button", { name: "Save as draft" }).click();
    await page.locator("#item-title-error").waitFor();
    assert.equal(await focusedId(page, "item-title"), "item-title", "the focus is not on the first invalid field");
    assert.equal(await page.locator("#item-title").getAttribute("aria-invalid"), "true");
    assert.match(await page.locator("#item-title").getAttribute("aria-describedby"), /item-title-error/);
    await page.getByLabel("Offer on X").check();
    const long = "x".repeat(281);
    await page.getByLabel("X: Variant 1").fill(long);
    await page.getByText("281 of 280 characters: too long").waitFor();
    await page.getByLabel("Title", { exact: true }).fill(`Admin test ${runId}`);
    await page.getByLabel("Link to share").fill("https://news.demo-corp.example/admin-test");
    await page.getByLabel("LinkedIn: Variant 1").fill("A caption for LinkedIn.");
    await page.getByRole("button", { name: "Save as draft" }).click();
    await page.locator("#caption-4-0-error").waitFor();
    assert.equal(await focusedId(page, "caption-4-0"), "caption-4-0", "the focus is not on the too-long X caption");
    await page.getByRole("button", { name: "Add a variant for LinkedIn" }).click();
    await page.getByLabel("LinkedIn: Variant 2").fill("A <b>second</b> variant.");
    await page.locator(".preview-frame").getByRole("heading", { name: `Admin test ${runId}` }).waitFor();
    // Text is text: markup typed into a caption is shown, never parsed.
    assert.equal(await page.locator(".preview-frame b").count(), 0, "markup in a caption was rendered as HTML");
    await checkA11y(page, "item editor with errors");
    assert.deepEqual(problems, []);
  });

  test("a checklist is created, changed and deleted", async () => {
    await open(page, "/admin/checklists/new");
    await page.getByLabel("Title", { exact: true }).fill(`Admin test checklist ${runId}`);
    await page.getByLabel("What to do").fill("Add a profile photo");
    await page.getByRole("button", { name: "Add an item" }).click();
    await page.locator("#checklist-item-1-text").fill("Write a headline");
    await page.getByRole("button", { name: "Create" }).click();
    await page.waitForURL(/\/admin\/checklists\/(?!new)[^/]+$/);
    await page.getByRole("heading", { level: 1, name: `Admin test checklist ${runId}` }).waitFor();
    await page.getByText("The checklist is saved").waitFor();
    await page.getByLabel("Title", { exact: true }).fill(`Admin test checklist ${runId} (changed)`);
    await page.getByRole("button", { name: "Move down item 1" }).click();
    assert.equal(await page.locator("#checklist-item-0-text").inputValue(), "Write a headline");
    await page.getByRole("button", { name: "Save changes" }).click();
    await status(page, "The changes are saved").waitFor();
    // Delete asks first, in the page, with the focus on the confirming button.
    await page.getByRole("button", { name: "Delete" }).click();
    await page.waitForFunction(() => document.activeElement?.textContent === "Yes, delete");
    await page.keyboard.press("Tab");
    await page.keyboard.press("Enter"); // "No, keep it"
    await page.waitForFunction(() => document.activeElement?.textContent === "Delete");
    await page.keyboard.press("Enter");
    await page.waitForFunction(() => document.activeElement?.textContent === "Yes, delete");
    await page.keyboard.press("Enter");
    await page.waitForURL(`${appUrl}/admin/checklists`);
    await page.getByText("The checklist is deleted").waitFor();
    assert.equal(await page.getByRole("link", { name: new RegExp(`Admin test checklist ${runId}`) }).count(), 0);
    assert.deepEqual(problems, []);
  });

  test("a broadcast is scheduled, changed and cancelled; only counts of seats are shown", async () => {
    await open(page, "/admin/broadcasts/new");
    const start = new Date(Date.now() + 7 * 24 * 3600 * 1000);
    const p = (n) => String(n).padStart(2, "0");
    const local = `${start.getFullYear()}-${p(start.getMonth() + 1)}-${p(start.getDate())}T10:00`;
    await page.getByLabel("Title", { exact: true }).fill(`Admin test broadcast ${runId}`);
    await page.getByLabel("Starts").fill(local);
    await page.getByLabel("Length in minutes").fill("45");
    await page.getByLabel("Seats").fill("10");
    await page.getByLabel("Where to join").fill("http://not-https.example/join");
    await page.getByRole("button", { name: "Schedule a broadcast" }).click();
    await page.locator("#broadcast-join-error").waitFor();
    assert.equal(await focusedId(page, "broadcast-join"), "broadcast-join");
    await page.getByLabel("Where to join").fill("https://meet.demo-corp.example/live");
    await page.getByRole("button", { name: "Schedule a broadcast" }).click();
    await page.waitForURL(/\/admin\/broadcasts\/(?!new)[^/]+$/);
    await page.getByText("0 of 10 seats taken").waitFor();
    await page.getByLabel("Seats").fill("20");
    await page.getByRole("button", { name: "Save changes" }).click();
    await status(page, "The changes are saved").waitFor();
    await page.getByText("0 of 20 seats taken").waitFor();
    await checkPage(page, "admin-broadcast-detail");
    await page.getByLabel("Reason").fill("Moved to next month.");
    await page.getByRole("button", { name: "Cancel the broadcast" }).click();
    await page.getByRole("button", { name: "Yes, cancel it" }).click();
    await status(page, "The broadcast is cancelled").waitFor();
    await page.getByText("Cancelled. Reason: Moved to next month.").waitFor();
    assert.ok(await page.getByLabel("Seats").isDisabled(), "a cancelled broadcast can still be edited");
    assert.deepEqual(problems, []);
  });

  test("settings and the course policy are read and saved as they are", async () => {
    await open(page, "/admin/settings");
    const cap = await page.getByLabel("Shares per employee per network per day").inputValue();
    await page.getByLabel("Shares per employee per network per day").fill("1000");
    await page.getByRole("form", { name: "Sharing" }).getByRole("button", { name: "Save" }).click();
    await page.locator("#settings-cap-error").waitFor();
    await page.getByLabel("Shares per employee per network per day").fill(cap);
    await page.getByRole("form", { name: "Sharing" }).getByRole("button", { name: "Save" }).click();
    await status(page, "sharing settings are saved").waitFor();
    await page.getByRole("form", { name: "Courses" }).getByRole("button", { name: "Save" }).click();
    await status(page, "course policy is saved").waitFor();
    await page.reload();
    await settled(page);
    assert.equal(await page.getByLabel("Shares per employee per network per day").inputValue(), cap);
    assert.deepEqual(problems, []);
  });

  test("a notice version is published (not material) and becomes the current one", async () => {
    await open(page, "/admin/notices");
    const version = `test-${runId}`;
    await page.getByLabel("Version", { exact: true }).fill("not a version!");
    await page.getByRole("button", { name: "Publish this version" }).click();
    await page.locator("#notice-version-error").waitFor();
    await page.getByLabel("Version", { exact: true }).fill(version);
    await page.getByLabel("What changed").fill("Sharing company content from your own accounts is voluntary.");
    await page.getByLabel("Where the full text is").fill("https://intranet.example/advocacy/consent");
    await page.getByRole("button", { name: "Publish this version" }).click();
    await status(page, `Version ${version} is published`).waitFor();
    await page.reload();
    await settled(page);
    await page.getByText(`Notice version ${version}`).waitFor();
    assert.deepEqual(problems, []);
  });

  test("a mail address is looked up one employee at a time and saved", async () => {
    await open(page, "/admin/recipients");
    await page.getByLabel("Employee ID").fill("not valid!");
    await page.getByRole("button", { name: "Look up" }).click();
    await page.locator("#recipient-lookup-error").waitFor();
    await page.getByLabel("Employee ID").fill(employee.user);
    await page.getByRole("button", { name: "Look up" }).click();
    await page.getByRole("heading", { name: new RegExp(employee.user) }).waitFor();
    const email = page.getByLabel("Email address");
    if (!(await email.inputValue())) await email.fill(`${employee.user}@demo-corp.localhost`);
    await page.getByRole("button", { name: "Save" }).click();
    await status(page, "is saved").waitFor();
    await checkPage(page, "admin-recipient");
    assert.deepEqual(problems, []);
  });

  test("engagement shows aggregates per group only", async () => {
    await open(page, "/admin/engagement");
    const text = await page.locator("main").innerText();
    assert.ok(!text.includes(employee.user), "the engagement page names an employee");
    if (await page.locator("table").count()) {
      assert.deepEqual(await page.locator("thead th").allInnerTexts(), ["Group", "Employees", "Shared at least once", "Share of employees", "Shares"]);
    } else {
      await page.getByText("No group is large enough to show yet.").waitFor();
    }
  });
});

describe("admin pages refuse employees", () => {
  let browser;
  before(async () => {
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
  });

  test("an employee has no Administration link and /admin/* says it is not for them", async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    await signIn(page, employee);
    assert.equal(await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Administration" }).count(), 0);
    for (const path of ["/admin", "/admin/items/new", "/admin/engagement"]) {
      await open(page, path);
      assert.match(await page.locator("main").innerText(), /does not have access/, path);
      assert.equal(await page.locator("form").count(), 0, `${path} shows a form to an employee`);
    }
    await checkA11y(page, "admin refused");
  });
});
