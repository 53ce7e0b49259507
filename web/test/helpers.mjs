// Helpers of the browser tests (browser.mjs): launching Debian's Chromium through playwright-core,
// accessibility checks with axe-core, screenshots, and the sign-in round trip through the
// gateway and its identity provider.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import AxeBuilder from "@axe-core/playwright";

export const appUrl = (process.env.ADVOCACY_WEB_URL ?? "").replace(/\/+$/, "");
export const artifacts = process.env.ADVOCACY_WEB_ARTIFACTS ?? "";
const executablePath = process.env.ADVOCACY_CHROMIUM ?? "/usr/bin/chromium";

// Certificates: with ADVOCACY_WEB_CA_FILE, Chromium trusts exactly that CA (and the system's
// roots) and checks every certificate; ADVOCACY_WEB_IGNORE_HTTPS_ERRORS=1 is only an explicit
// fallback that turns the checks off.
export const caFile = process.env.ADVOCACY_WEB_CA_FILE ?? "";
const ignoreHttpsErrors = process.env.ADVOCACY_WEB_IGNORE_HTTPS_ERRORS === "1";

// Chromium on Linux reads trust anchors from the NSS database $HOME/.pki/nssdb. The browser gets a
// temporary HOME whose database holds the CA file's certificates as trusted issuers (-t "C,,"),
// made with certutil (Debian: libnss3-tools). One per test process, removed when it exits.
let trustHome = null;

function certutil(args) {
  try {
    return execFileSync("certutil", args, { stdio: ["ignore", "pipe", "pipe"] });
  } catch (err) {
    if (err.code === "ENOENT") {
      throw new Error("certutil is missing: apt-get install -y libnss3-tools (needed to trust ADVOCACY_WEB_CA_FILE)");
    }
    throw new Error(`certutil ${args.join(" ")} failed: ${err.stderr?.toString() ?? err.message}`);
  }
}

export function browserHome() {
  if (!caFile) return null;
  if (trustHome) return trustHome;
  const pems = readFileSync(caFile, "utf8").match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  assert.ok(pems.length > 0, `ADVOCACY_WEB_CA_FILE (${caFile}) holds no PEM certificate`);
  const home = mkdtempSync(join(tmpdir(), "advocacy-chromium-home-"));
  process.on("exit", () => rmSync(home, { recursive: true, force: true }));
  const db = join(home, ".pki", "nssdb");
  mkdirSync(db, { recursive: true });
  certutil(["-N", "-d", `sql:${db}`, "--empty-password"]);
  pems.forEach((pem, i) => {
    const file = join(home, `ca-${i}.pem`);
    writeFileSync(file, `${pem}\n`);
    certutil(["-A", "-d", `sql:${db}`, "-n", `advocacy-test-ca-${i}`, "-t", "C,,", "-a", "-i", file]);
  });
  trustHome = home;
  return home;
}

export async function launch() {
  const home = browserHome();
  return chromium.launch({
    executablePath,
    headless: true,
    // The tests run as root in CI; Chromium's sandbox refuses root.
    args: ["--no-sandbox"],
    ...(home ? { env: { ...process.env, HOME: home } } : {}),
  });
}

// A fresh context (no cookies): its own cookies and storage, like another person's browser.
export async function newContext(browser, options = {}) {
  return browser.newContext({
    ignoreHTTPSErrors: ignoreHttpsErrors,
    locale: "en-GB",
    ...options,
  });
}

// Collects what the page reports that a test should fail on: CSP violations, uncaught errors.
export function watchPage(page) {
  const problems = [];
  page.on("console", (m) => {
    if (m.type() === "error" && /Content Security Policy|Refused to/i.test(m.text())) problems.push(`CSP: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`uncaught: ${e.message}`));
  return problems;
}

// Runs axe-core on the page as it is and fails on serious or critical violations, listing each
// rule and the elements it found.
export async function checkA11y(page, label) {
  const results = await new AxeBuilder({ page }).analyze();
  const bad = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  const text = bad
    .map((v) => `${v.impact} ${v.id}: ${v.help}\n${v.nodes.map((n) => `    ${n.target.join(" ")}`).join("\n")}`)
    .join("\n");
  assert.equal(bad.length, 0, `axe on ${label}: ${bad.length} serious/critical violations\n${text}`);
  return results;
}

// Saves a full-page screenshot as <ADVOCACY_WEB_ARTIFACTS>/<name>.png (nothing when unset).
export async function screenshot(page, name) {
  if (!artifacts) return;
  mkdirSync(artifacts, { recursive: true });
  await page.screenshot({ path: join(artifacts, `${name.replace(/[^A-Za-z0-9._-]/g, "_")}.png`), fullPage: true });
}

// Checks and saves a page in both layouts the app is built for: a 360 px phone and a desktop.
export async function checkPage(page, name) {
  await checkA11y(page, name);
  await screenshot(page, `${name}-desktop`);
  const size = page.viewportSize();
  await page.setViewportSize({ width: 360, height: 740 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `${name}: the page is ${overflow} px wider than a 360 px screen`);
  await checkA11y(page, `${name} (360 px)`);
  await screenshot(page, `${name}-phone`);
  if (size) await page.setViewportSize(size);
}

const user = process.env.ADVOCACY_WEB_USER ?? "";
const password = process.env.ADVOCACY_WEB_PASSWORD ?? "demo";
export const canSignIn = user !== "";

function onApp(url) {
  return url.startsWith(`${appUrl}/`) && !new URL(url).pathname.startsWith("/auth/");
}

// From a page that has just left for sign-in (or is at the identity provider), fills the
// provider's login and consent forms (the local provider's development pages: fields `login`
// and `password`, a submit button) until the browser is back in the app. Bounded in steps.
// `as` names the user (default ADVOCACY_WEB_USER / ADVOCACY_WEB_PASSWORD).
export async function completeSignIn(page, as = { user, password }) {
  for (let step = 0; step < 8; ++step) {
    await page.waitForLoadState("domcontentloaded");
    if (onApp(page.url())) return;
    const login = page.locator('input[name="login"]');
    if (await login.count()) {
      await login.fill(as.user);
      await page.locator('input[name="password"]').fill(as.password ?? password);
    }
    const submit = page.locator('button[type="submit"], input[type="submit"]').first();
    if (await submit.count()) {
      await Promise.all([page.waitForNavigation({ timeout: 15000 }).catch(() => {}), submit.click()]);
    } else {
      await page.waitForURL((u) => onApp(u.href), { timeout: 15000 });
    }
  }
  assert.ok(onApp(page.url()), `sign-in as ${as.user} did not come back to the app (at ${page.url()})`);
}

// Signs in from the welcome page and waits for the feed.
export async function signIn(page, as = { user, password }) {
  await page.goto(`${appUrl}/`);
  await page.getByRole("button", { name: /^(Sign in|Logg inn)$/ }).first().click();
  await completeSignIn(page, as);
  await page.waitForURL(`${appUrl}/feed`, { timeout: 15000 });
}
