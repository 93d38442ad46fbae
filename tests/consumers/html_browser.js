#!/usr/bin/env node
// html_browser.js - pyflame's annotated-source page (-o X.html) in headless chromium.
//
//   html_browser.js --pyflame build/pyflame --python python3 --out DIR
//
// Profiles a small script (alpha() ~75% of the time in one line, beta() ~25% in another)
// with `pyflame run -o DIR/page.html -o DIR/page.txt`, opens the page from file:// and
// checks what the browser shows:
//   - every sampled row of app.py shows the own and total samples the collapsed stacks
//     (page.txt) give that line, in its cells and its data- attributes
//   - the hot lines are coloured: alpha's line's own cell has a background, opaque and
//     warmer than beta's; an unsampled line has none
//   - the first row of "Hot lines" is alpha's line; clicking "alpha" in "Hot functions"
//     targets its first sampled row (location.hash: the def line + 1 or 2) and scrolls it into view
//   - no script runs, no console error
// Screenshots: DIR/page.png (the top), DIR/source.png (app.py's source).  Exit 1 on failure.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');
const { chromium } = require('playwright-core');

const args = {};
for (let i = 2; i + 1 < process.argv.length; i += 2)
	args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
if (!args.out || !args.pyflame) {
	console.error('usage: html_browser.js --pyflame PYFLAME [--python PY] --out DIR');
	process.exit(2);
}

const APP = `import time

def alpha():
    end = time.perf_counter() + 0.3
    while time.perf_counter() < end: pass  # ALPHA

def beta():
    end = time.perf_counter() + 0.1
    while time.perf_counter() < end: pass  # BETA

for _ in range(4):
    alpha()
    beta()
`;
const ALPHA = 5, BETA = 9;

let failures = 0, passes = 0;
function check(cond, msg, detail) {
	if (cond) {
		console.log(`  ok: ${msg}`);
		passes++;
	} else {
		console.error(`  FAILED: ${msg}${detail === undefined ? '' : `: ${detail}`}`);
		failures++;
	}
	return cond;
}

// Per line of file: own (innermost, not idle) and total (anywhere, once per stack).
function collapsedLines(txt, file) {
	const lines = new Map();
	const get = (n) => lines.get(n) || lines.set(n, { own: 0, total: 0 }).get(n);
	for (const l of txt.split('\n')) {
		const m = /^(.*) (\d+)$/.exec(l);
		if (!m)
			continue;
		const frames = m[1].split(';'), n = +m[2], seen = new Set();
		for (const f of frames.slice(1)) {
			const k = f.lastIndexOf(` (${file}:`);
			if (k < 0 || !f.endsWith(')'))
				continue;
			const line = +f.slice(k + file.length + 3, -1);
			if (!seen.has(line))
				get(line).total += n;
			seen.add(line);
		}
		const leaf = frames[frames.length - 1], k = leaf.lastIndexOf(` (${file}:`);
		if (k >= 0)
			get(+leaf.slice(k + file.length + 3, -1)).own += n;
	}
	return lines;
}

async function main() {
	fs.mkdirSync(args.out, { recursive: true });
	const work = fs.mkdtempSync(path.join(os.tmpdir(), 'pyflame-html-'));
	const app = path.join(work, 'app.py');
	fs.writeFileSync(app, APP);
	const html = path.resolve(args.out, 'page.html'), txtPath = path.resolve(args.out, 'page.txt');
	execFileSync(args.pyflame, ['run', '-q', '-r', '500', '-o', html, '-o', txtPath, '--',
		args.python || 'python3', app], { stdio: 'inherit' });
	const want = collapsedLines(fs.readFileSync(txtPath, 'utf8'), app);

	const profileDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pyflame-chromium-'));
	const browser = await chromium.launchPersistentContext(profileDir, {
		executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
		headless: true,
		args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
			'--disable-background-networking', '--disable-component-update', '--disable-sync'],
		viewport: { width: 1200, height: 900 },
		timeout: 60000,
	});
	const errors = [];
	try {
		const page = browser.pages()[0] || await browser.newPage();
		page.setDefaultTimeout(15000);
		page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
		page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
		await page.goto('file://' + html);
		await page.screenshot({ path: path.join(args.out, 'page.png') });
		check(await page.evaluate(() => document.scripts.length) === 0, 'the page has no script');

		const rows = await page.evaluate((file) => {
			const sec = [...document.querySelectorAll('section')].find((s) => s.dataset.file === file);
			if (!sec)
				return null;
			return [...sec.querySelectorAll('tr[data-line]')].map((tr) => {
				const td = tr.querySelectorAll('td');
				return {
					line: +tr.dataset.line, own: +tr.dataset.own, total: +tr.dataset.total,
					ownText: td[0].textContent, totalText: td[2].textContent,
					bg: getComputedStyle(td[0]).backgroundColor,
					codeBg: getComputedStyle(td[4]).backgroundColor,
				};
			});
		}, app);
		if (check(rows !== null, 'app.py has a source section')) {
			const bad = [];
			for (const [line, w] of want) {
				const r = rows.find((x) => x.line === line);
				if (!r || r.own !== w.own || r.total !== w.total || r.ownText !== String(w.own) ||
				    r.totalText !== String(w.total))
					bad.push(`line ${line}: want ${w.own}/${w.total}, page ${r ? `${r.ownText}/${r.totalText}` : 'no row'}`);
			}
			check(!bad.length && rows.length === want.size,
				`each of app.py's ${want.size} sampled lines shows the collapsed profile's own and total`,
				bad.join('; ') || `${rows.length} rows`);
			const alpha = rows.find((r) => r.line === ALPHA), beta = rows.find((r) => r.line === BETA);
			const alphaOf = (c) => { const m = /rgba?\(([^)]*)\)/.exec(c); const v = m ? m[1].split(',') : []; return v.length === 4 ? +v[3] : v.length === 3 ? 1 : 0; };
			if (check(alpha && beta, 'alpha and beta lines are sampled')) {
				check(alphaOf(alpha.bg) > 0.5 && alphaOf(alpha.codeBg) > 0.5,
					`alpha's line is coloured hot (${alpha.bg})`);
				check(alphaOf(beta.bg) > 0 && alphaOf(beta.bg) < alphaOf(alpha.bg),
					`beta's line is cooler than alpha's (${beta.bg})`);
				check(alpha.own > 2 * beta.own, `alpha ${alpha.own} own samples, beta ${beta.own}`);
			}
		}
		const unsampled = await page.evaluate((file) => {
			const sec = [...document.querySelectorAll('section')].find((s) => s.dataset.file === file);
			const tr = sec && sec.querySelector('tr[id$="-1"]');
			return tr ? getComputedStyle(tr.querySelectorAll('td')[4]).backgroundColor : null;
		}, app);
		check(unsampled === 'rgba(0, 0, 0, 0)', 'an unsampled line has no colour', unsampled);

		const firstHot = await page.evaluate(() => {
			const a = document.querySelector('table.hot tbody tr a');
			return a ? a.textContent : null;
		});
		check(firstHot && firstHot.endsWith(`:${ALPHA}`), 'the hottest line is alpha\'s', firstHot);

		await page.locator('table.funcs a', { hasText: /^alpha$/ }).first().click();
		const target = await page.evaluate(() => {
			const t = document.querySelector(':target');
			if (!t)
				return null;
			const box = t.getBoundingClientRect();
			return { line: t.dataset.line, visible: box.top >= 0 && box.bottom <= innerHeight };
		});
		check(target && [ALPHA - 1, ALPHA].includes(+target.line) && target.visible,
			'clicking alpha in Hot functions jumps to its line', JSON.stringify(target));
		await page.screenshot({ path: path.join(args.out, 'source.png') });
		await page.waitForTimeout(200);
	} catch (e) {
		check(false, 'browser session', String(e.message || e).split('\n')[0]);
	} finally {
		await browser.close();
		fs.rmSync(profileDir, { recursive: true, force: true });
		fs.rmSync(work, { recursive: true, force: true });
	}
	check(errors.length === 0, 'no console errors or uncaught exceptions', errors.join('; '));
	console.log(`screenshots (page, source): ${path.resolve(args.out)}`);
	console.log(`html_browser: ${passes} passed, ${failures} failed`);
	process.exit(failures ? 1 : 0);
}

main();
