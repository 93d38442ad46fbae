#!/usr/bin/env node
// svg_diff_browser.js - pyflame diff's SVG in headless chromium, used as a person would.
//
//   svg_diff_browser.js --pyflame build/pyflame --python python3 --out DIR
//       profiles a small script twice (alpha() 75% of the split, then 25%; the split comes
//       from $SPLIT so the command lines match), runs `pyflame diff base.raw new.raw -o
//       DIR/diff.svg`, then checks it
//   svg_diff_browser.js --svg FILE.svg --out DIR
//       checks a diff SVG made that way before
//
// In chromium (Debian's, /usr/bin/chromium or $CHROMIUM, driven by playwright-core) it
// opens the SVG from file:// and checks:
//   - the title "pyflame diff: BASE → NEW", both totals in the subtitle, the legend
//   - beta's frame is red and grew, alpha's is blue and shrank (data-change), and every
//     frame's colour follows the sign of its change
//   - hovering beta puts "beta (FILE:LINE) - new: N samples, P% - base: M samples, Q% -
//     change: +C points" in the details line, the numbers matching the frame's attributes
//   - clicking beta zooms it to the full width, Reset Zoom puts every frame back
//   - a search highlights alpha's frames and shows alpha's new share; Clear restores the
//     diff colours
//   - no console error and no uncaught exception, from load to the end
// Screenshots go to DIR (diff.png, diff-zoomed.png).  Exit 1 on any failure.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');
const { chromium } = require('playwright-core');

const HIGHLIGHT = '#e040e0';
const drawn = (w) => (w >= 2 ? w - 1 : w / 2);
const args = {};
const USAGE = 'usage: svg_diff_browser.js (--pyflame PYFLAME [--python PY] | --svg FILE) --out DIR';
for (let i = 2; i < process.argv.length; i += 2) {
	const k = process.argv[i];
	if (!/^--(pyflame|python|out|svg)$/.test(k) || i + 1 >= process.argv.length) {
		console.error(USAGE);
		process.exit(2);
	}
	args[k.slice(2)] = process.argv[i + 1];
}
if (!args.out || !(args.pyflame || args.svg)) {
	console.error(USAGE);
	process.exit(2);
}

const APP = `import os, time

def spin(seconds):
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass

def alpha(s):
    spin(s)

def beta(s):
    spin(s)

def main():
    split = float(os.environ["SPLIT"])
    for _ in range(4):
        alpha(0.25 * split)
        beta(0.25 * (1 - split))

main()
`;

let failures = 0, passes = 0;
function check(cond, msg, detail) {
	if (cond) {
		console.log(`  ok: ${msg}`);
		passes++;
	} else {
		console.error(`  FAILED: ${detail === undefined ? msg : `${msg}: ${detail}`}`);
		failures++;
	}
	return cond;
}
const near = (a, b, tol) => Math.abs(a - b) <= tol;
const rgb = (fill) => [1, 3, 5].map((i) => parseInt(fill.slice(i, i + 2), 16));

async function main() {
	fs.mkdirSync(args.out, { recursive: true });
	let svgPath = args.svg;
	if (!svgPath) {
		const work = fs.mkdtempSync(path.join(os.tmpdir(), 'pyflame-diff-'));
		const app = path.join(work, 'app.py');
		const python = args.python || 'python3';
		fs.writeFileSync(app, APP);
		for (const [name, split] of [['base', '0.75'], ['new', '0.25']])
			execFileSync(args.pyflame, ['run', '-q', '-r', '200', '-o', path.join(work, `${name}.raw`),
				'--', python, app], { stdio: 'inherit', env: { ...process.env, SPLIT: split } });
		svgPath = path.join(args.out, 'diff.svg');
		execFileSync(args.pyflame, ['diff', '-q', path.join(work, 'base.raw'),
			path.join(work, 'new.raw'), '-o', svgPath], { stdio: 'inherit' });
		fs.rmSync(work, { recursive: true, force: true });
	}
	svgPath = path.resolve(svgPath);
	const svgText = fs.readFileSync(svgPath, 'utf8');
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
		await page.goto('file://' + svgPath);
		await run(page, svgText);
		await page.waitForTimeout(200);
	} catch (e) {
		check(false, `browser session: ${String(e.message || e).split('\n')[0]}`);
	} finally {
		await browser.close();
		fs.rmSync(profileDir, { recursive: true, force: true });
	}
	check(errors.length === 0, 'no console errors or uncaught exceptions', errors.join('; '));
	console.log(`screenshots (diff, diff-zoomed): ${path.resolve(args.out)}`);
	console.log(`svg_diff_browser: ${passes} passed, ${failures} failed`);
	process.exit(failures ? 1 : 0);
}

function frames(page) {
	return page.evaluate(() => Array.prototype.map.call(
		document.querySelectorAll('#frames > g'), (g, i) => {
			const r = g.querySelector('rect');
			const title = g.querySelector('title').textContent;
			const box = r.getBoundingClientRect();
			return {
				i, title, label: title.split('\n')[0],
				o: +g.getAttribute('data-o'), s: +g.getAttribute('data-s'),
				d: +g.getAttribute('data-d'), base: +g.getAttribute('data-base'),
				change: +g.getAttribute('data-change'),
				x: +r.getAttribute('x'), w: +r.getAttribute('width'), fill: r.getAttribute('fill'),
				shown: getComputedStyle(g).display !== 'none' && box.width > 0,
			};
		}));
}
const textOf = (page, id) => page.evaluate((i) => {
	const e = document.getElementById(i);
	return e ? e.textContent : null;
}, id);
const rect = (page, f) => page.locator(`#frames > g:nth-child(${f.i + 1}) > rect`);

async function run(page, svgText) {
	const W = 1200, PAD = 10, FULL = W - 2 * PAD;
	const total = +/data-total="(\d+)"/.exec(svgText)[1];
	const baseTotal = +/data-base-total="(\d+)"/.exec(svgText)[1];
	console.log(`svg_diff_browser: base ${baseTotal} samples, new ${total}`);

	const title = await textOf(page, 'title');
	check(/^pyflame diff: .*base\.raw → .*new\.raw$/.test(title || ''), `the title names both profiles (${JSON.stringify(title)})`);
	const sub = await textOf(page, 'subtitle');
	check(sub.includes(`base ${baseTotal} samples`) && sub.includes(`new ${total} samples`),
		`the subtitle gives both totals (${JSON.stringify(sub)})`);
	const legend = await textOf(page, 'legend');
	check(/blue shrank, red grew, full at [\d.]+ points; [\d.]+% of base samples are in stacks absent from new$/.test(legend || ''),
		`the legend explains the colours and what vanished (${JSON.stringify(legend)})`);

	const orig = await frames(page);
	check(orig.length > 0 && orig.every((f) => f.shown && f.title.split('\n').length === 4),
		`${orig.length} frames drawn, each with new, base and change in its title`);
	const root = orig.find((f) => f.d === 0);
	check(root && root.s === total && root.base === baseTotal && near(root.w, drawn(FULL), 0.1),
		'the root frame holds both totals and spans the width');
	const pick = (re) => orig.filter((f) => re.test(f.label)).reduce((a, f) => (!a || f.s > a.s ? f : a), null);
	const alpha = pick(/^alpha \(/), beta = pick(/^beta \(/);
	if (!check(alpha && beta, 'alpha and beta have frames'))
		return;
	const [br, , bb] = rgb(beta.fill), [ar, , ab] = rgb(alpha.fill);
	check(beta.change > 20 && br > bb + 60, `beta grew and is red (${beta.change} points, ${beta.fill})`);
	check(alpha.change < -20 && ab > ar + 60, `alpha shrank and is blue (${alpha.change} points, ${alpha.fill})`);
	const wrong = orig.filter((f) => Math.abs(f.change) >= 5 && (rgb(f.fill)[0] > rgb(f.fill)[2]) !== (f.change > 0));
	check(wrong.length === 0, 'every frame\'s colour follows the sign of its change',
		JSON.stringify(wrong.slice(0, 3).map((f) => [f.label, f.change, f.fill])));
	const height = await page.evaluate(() => +document.documentElement.getAttribute('height'));
	await page.setViewportSize({ width: W, height: Math.min(Math.max(height, 200), 4000) });
	await page.screenshot({ path: path.join(args.out, 'diff.png') });

	// hover: both counts and the change
	await rect(page, beta).hover();
	const details = await textOf(page, 'details');
	const m = /^beta \((.+):(\d+)\) - new: (\d+) samples?, ([\d.]+)% - base: (\d+) samples?, ([\d.]+)% - change: \+([\d.]+) points$/.exec(details || '');
	check(m && /app\.py$/.test(m[1]) && +m[3] === beta.s && +m[5] === beta.base &&
		near(+m[4], 100 * beta.s / total, 0.006) && near(+m[6], 100 * beta.base / baseTotal, 0.006) &&
		near(+m[7], beta.change, 0.006),
		`hovering beta shows function, file:line, both counts and shares, the change (${JSON.stringify(details)})`);
	await page.mouse.move(2, 2);

	// zoom and reset
	await rect(page, beta).click();
	let now = await frames(page);
	check(near(now[beta.i].x, PAD, 0.1) && near(now[beta.i].w, drawn(FULL), 0.1) && !now[alpha.i].shown,
		'clicking beta zooms to it; alpha is hidden');
	await page.screenshot({ path: path.join(args.out, 'diff-zoomed.png') });
	await page.locator('#reset').click();
	now = await frames(page);
	check(now.every((f, i) => f.shown && f.x === orig[i].x && f.w === orig[i].w), 'Reset Zoom puts every frame back');

	// search and clear
	page.once('dialog', (d) => d.accept('^alpha '));
	await page.locator('#search').click();
	await page.waitForFunction(() => document.getElementById('matched').textContent !== '', null, { timeout: 5000 });
	const matched = /Matched: ([\d.]+)% \((\d+) frames?\)/.exec(await textOf(page, 'matched')) || [];
	const alphas = orig.filter((f) => /^alpha \(/.test(f.label));
	const alphaPct = 100 * alphas.reduce((a, f) => a + f.s, 0) / total;
	now = await frames(page);
	check(near(+matched[1], alphaPct, 0.051) && +matched[2] === alphas.length &&
		alphas.every((a) => now[a.i].fill === HIGHLIGHT),
		`searching ^alpha highlights alpha and shows its share of new (${matched[0]}, alpha ${alphaPct.toFixed(1)}%)`);
	await page.locator('#clear').click();
	now = await frames(page);
	check(now.every((f, i) => f.fill === orig[i].fill), 'Clear restores the diff colours');
}

main().catch((e) => {
	console.error(`svg_diff_browser: ${e.stack || e}`);
	process.exit(1);
});
