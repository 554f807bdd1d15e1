// What the browser tests share: open the workbench served by code-server in chromium, find the
// "Model Repository" view and its tree rows by their visible label, run palette commands, answer
// quick inputs (input boxes, quick picks, the simple file dialog) and take screenshots.
// Selectors are VS Code 1.139's (code-server 4.139.1 is pinned): ARIA roles tab/tree/treeitem,
// .quick-input-widget, .notifications-toasts, .editor-instance .view-lines.
import fs from 'node:fs';
import path from 'node:path';
import { launchChromium } from '../editor/runner/chromium.mjs';

export const CS_URL = process.env.CS_URL || 'http://127.0.0.1:8080';
export const WS_DIR = process.env.WS_DIR || '';
export const REPO_DIR = process.env.REPO_DIR || '';
export const RUN_DIR = process.env.RUN_DIR || '/tmp';
export const SHOTS_DIR = process.env.SHOTS_DIR || path.resolve('test-results/screenshots');
export const VIEW_TITLE = 'Model Repository';

/** Skip reason for node:test when the script did not provide a code-server, else false. */
export const skipWithoutServer = WS_DIR && process.env.CS_URL ? false : 'run through scripts/editor-test.sh (needs CS_URL, WS_DIR)';

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const exact = (s) => (s instanceof RegExp ? s : new RegExp(`^\\s*${escape(s)}\\s*$`));

// One browser and page per process. scripts/editor-test.sh runs the files with --test-isolation=none, so
// they share it (loading the workbench is the slow part); between files the UI is put back to a plain
// state. Closing is deferred a moment so the next file can take the page over; after the last one the
// browser closes and the process ends.
let current;
let closeTimer;

/** Opens the workbench on the test workspace (or takes over the one a previous file opened). */
export async function openWorkbench() {
  clearTimeout(closeTimer);
  if (current) {
    await resetWorkbench(current.page);
    return current;
  }
  const browser = await launchChromium();
  const page = await browser.newPage({ viewport: { width: 1400, height: 850 } });
  const consoleLines = [];
  page.on('console', (m) => { consoleLines.push(`[${m.type()}] ${m.text()}`); if (consoleLines.length > 300) consoleLines.shift(); });
  const t0 = Date.now();
  try {
    // a loaded machine can take long to serve the workbench's first page
    await page.goto(`${CS_URL}/?folder=${encodeURIComponent(WS_DIR)}`, { timeout: 90_000 });
    await page.locator('.monaco-workbench').waitFor({ timeout: 90_000 });
    await page.getByRole('tab', { name: new RegExp(VIEW_TITLE) }).waitFor({ timeout: 90_000 });
  } catch (e) {
    await browser.close().catch(() => {}); // else its handle keeps the test process from ending
    throw e;
  }
  const since = process.env.CS_STARTED_AT ? `, ${Date.now() - +process.env.CS_STARTED_AT} ms after code-server was started` : '';
  console.log(`workbench ready (view tab shown) ${Date.now() - t0} ms after page.goto${since}`);
  current = { browser, page, consoleLines };
  await openView(page);
  await widenSideBar(page, 620);
  return current;
}

/** Drags the side bar's edge so tree labels and descriptions (tag chains, error reasons) fit. */
async function widenSideBar(page, width) {
  const box = await page.locator('.part.sidebar').boundingBox().catch(() => null);
  if (!box || box.width >= width) return;
  const y = box.y + box.height / 2;
  await page.mouse.move(box.x + box.width + 1, y);
  await page.mouse.down();
  await page.mouse.move(box.x + width, y, { steps: 8 });
  await page.mouse.up();
}

export async function closeWorkbench(wb, shotName) {
  if (!wb) return;
  if (shotName) await shot(wb.page, shotName).catch(() => {});
  if (process.env.DUMP_CONSOLE) console.log(wb.consoleLines.join('\n'));
  clearTimeout(closeTimer);
  closeTimer = setTimeout(() => {
    current = undefined;
    wb.browser.close().catch(() => {});
  }, 1500);
}

/** No dialogs, editors or notifications left over from a previous file (the tree stays as it was). */
async function resetWorkbench(page) {
  for (let i = 0; i < 3; i++) await page.keyboard.press('Escape');
  // untitled documents (generated YAML) are dirty: Close All would ask whether to save them
  for (let i = 0; i < 5 && await page.locator('.editor-instance').first().isVisible().catch(() => false); i++) {
    await runCommand(page, 'View: Revert and Close Editor').catch(() => {});
  }
  await runCommand(page, 'View: Close All Editors').catch(() => {});
  await runCommand(page, 'Notifications: Clear All Notifications').catch(() => {});
  await page.keyboard.press('Escape');
}

/** Labels of the rows now visible in the tree (for failure messages). */
export async function visibleLabels(tree) {
  return tree.locator('[role=treeitem] .label-name').allInnerTexts();
}

/** Clicks the view's Refresh button (title bar of the "Model Repository" side bar). */
export async function clickRefresh(page) {
  await page.locator('.part.sidebar').getByRole('button', { name: /^Refresh/ }).first().click();
}

export async function shot(page, name) {
  fs.mkdirSync(SHOTS_DIR, { recursive: true });
  const file = path.join(SHOTS_DIR, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}

/** Clicks the activity bar tab (unless the view is already showing) and returns the tree. */
export async function openView(page) {
  const tree = page.getByRole('tree', { name: /Repositories/ });
  if (!(await tree.isVisible().catch(() => false))) {
    await page.getByRole('tab', { name: new RegExp(VIEW_TITLE) }).click();
  }
  await tree.waitFor({ timeout: 30_000 });
  return tree;
}

/** The tree row whose label is exactly `label` (string or RegExp); `level` = depth (1 = connection). */
export function row(tree, label, opts = {}) {
  let loc = tree.getByRole('treeitem');
  if (opts.level) loc = tree.locator(`[role=treeitem][aria-level="${opts.level}"]`);
  return loc.filter({ has: tree.page().locator('.label-name', { hasText: exact(label) }) }).first();
}

export async function description(r) {
  return ((await r.locator('.label-description').first().textContent().catch(() => '')) || '').trim();
}

/** Expands a collapsible row (clicking its twistie, so an item command does not run instead). */
export async function expand(r) {
  await r.waitFor({ timeout: 30_000 });
  if ((await r.getAttribute('aria-expanded')) === 'true') return;
  await r.locator('.monaco-tl-twistie').click();
  await r.page().waitForFunction((el) => el.getAttribute('aria-expanded') === 'true', await r.elementHandle(), { timeout: 15_000 });
}

/** Collapses an expanded row. */
export async function collapse(r) {
  await r.waitFor({ timeout: 30_000 });
  if ((await r.getAttribute('aria-expanded')) !== 'true') return;
  await r.locator('.monaco-tl-twistie').click();
  await r.page().waitForFunction((el) => el.getAttribute('aria-expanded') === 'false', await r.elementHandle(), { timeout: 15_000 });
}

/** Waits until a row is visible and returns it. */
export async function seeRow(tree, label, opts = {}) {
  const r = row(tree, label, opts);
  await r.waitFor({ timeout: opts.timeout ?? 30_000 });
  return r;
}

const quick = (page) => page.locator('.quick-input-widget');

/** Opens the command palette and runs the command whose title matches `title` (a string prefix or RegExp). */
export async function runCommand(page, title) {
  await page.keyboard.press('Escape');
  await page.keyboard.press('F1');
  const input = quick(page).locator('input').first();
  await input.waitFor({ timeout: 10_000 });
  const text = title instanceof RegExp ? title.source.replace(/[\\^$]/g, '') : title;
  await input.fill(`>${text}`);
  const pick = quick(page).locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
  await pick.waitFor({ timeout: 10_000 });
  await pick.click();
}

/** What the visible quick input asks: title, placeholder, prompt message, value, and whether it lists items. */
export async function quickState(page) {
  const w = quick(page);
  if (!(await w.isVisible().catch(() => false))) return undefined;
  // while it closes the widget is still in the DOM but inert: that is no prompt
  if (await w.first().evaluate((el) => !!el.closest('[inert]') || el.inert === true, undefined, { timeout: 1000 }).catch(() => true)) return undefined;
  const txt = async (sel) => ((await w.locator(sel).first().textContent({ timeout: 1000 }).catch(() => '')) || '').trim();
  const input = w.locator('.quick-input-box input').first();
  const rows = w.locator('.quick-input-list .monaco-list-row');
  return {
    title: await txt('.quick-input-title'),
    placeholder: (await input.getAttribute('placeholder', { timeout: 1000 }).catch(() => '')) || '',
    message: await txt('.quick-input-message'),
    value: await input.inputValue({ timeout: 1000 }).catch(() => ''),
    items: (await w.locator('.quick-input-list').isVisible().catch(() => false)) ? await rows.allInnerTexts() : [],
  };
}

/**
 * Answers the quick inputs a command shows, one after another, until none is left.
 * answers: [{ match: RegExp tested on title + placeholder + message (or a function of quickState), value?: text to type, pick?: RegExp|string row to choose }]
 * With `value` and no `pick`, the text is typed (replacing a default) and accepted with Enter.
 * Returns the prompts seen, so a test can show what it answered.
 */
export async function answerPrompts(page, answers, { timeout = 20_000 } = {}) {
  const seen = [];
  let prev; // { sig, typed } of the prompt just answered
  const deadline = Date.now() + timeout * Math.max(1, answers.length);
  for (;;) {
    let st;
    const until = Date.now() + 4000;
    // wait for the next prompt: another title/placeholder, or the box no longer holding what was typed
    for (;;) {
      st = await quickState(page);
      const fresh = st && (!prev || `${st.title}|${st.placeholder}` !== prev.sig || (prev.typed !== undefined && st.value !== prev.typed));
      if (fresh) {
        await page.waitForTimeout(250); // and still there a moment later (not a widget on its way out)
        const again = await quickState(page);
        if (again && again.title === st.title && again.placeholder === st.placeholder) { st = again; break; }
        continue;
      }
      if (!st && seen.length > 0 && Date.now() > until) return seen;
      if (Date.now() > deadline) throw new Error(`no further prompt; answered: ${JSON.stringify(seen)}`);
      await page.waitForTimeout(150);
    }
    const text = `${st.title} ${st.placeholder} ${st.message}`;
    const a = answers.find((x) => (typeof x.match === 'function' ? x.match(st) : x.match.test(text)));
    if (!a) throw new Error(`unexpected prompt: ${JSON.stringify(st)}; answered so far: ${JSON.stringify(seen)}`);
    seen.push({ prompt: text.trim(), answer: a.pick ? String(a.pick) : a.value });
    const input = quick(page).locator('.quick-input-box input').first();
    if (a.pick) {
      if (a.value !== undefined) await input.fill(a.value);
      const r = quick(page).locator('.quick-input-list .monaco-list-row', { hasText: a.pick }).first();
      await r.waitFor({ timeout: 10_000 });
      prev = { sig: `${st.title}|${st.placeholder}`, typed: undefined };
      await r.click();
    } else {
      await input.fill(a.value ?? '');
      await page.waitForTimeout(300); // the simple file dialog and validators react to typing
      prev = { sig: `${st.title}|${st.placeholder}`, typed: await input.inputValue() };
      await input.press('Enter');
    }
    if (a.last) return seen;
  }
}

/** The text of the active editor (monaco renders only visible lines: enough for the top of a document). */
export async function editorText(page) {
  const lines = page.locator('.editor-instance .view-lines').first();
  await lines.waitFor({ timeout: 20_000 });
  return (await lines.innerText()).replace(/\u00a0/g, ' ');
}

/** Waits for a notification toast containing `text`. */
export async function seeNotification(page, text, timeout = 30_000) {
  const t = page.locator('.notifications-toasts .notification-toast', { hasText: text }).first();
  await t.waitFor({ timeout });
  return ((await t.innerText()) || '').trim();
}

/** A quick input that is VS Code's simple file dialog (it opens with a folder path in the box). */
export const isFileDialog = (st) => st.value.startsWith('/');

/** Right-clicks a tree row and chooses the context menu entry matching `label`. */
export async function contextMenu(r, label) {
  const page = r.page();
  await r.click({ button: 'right' });
  const menu = page.locator('.context-view .monaco-menu');
  const item = menu.locator('.action-item', { hasText: label }).first();
  await item.waitFor({ timeout: 10_000 });
  // a menu ignores a mouse-up that follows its opening too closely: hover, settle, then click
  await item.hover();
  await page.waitForTimeout(300);
  await item.click();
  if (await menu.isVisible().catch(() => false)) {
    await page.waitForTimeout(300);
    if (await menu.isVisible().catch(() => false)) await page.keyboard.press('Enter'); // the hovered item has focus
  }
}
