#!/usr/bin/env node
// svg_browser.js - pyflame's SVG flame graph, used in headless chromium as a person would.
//
//   svg_browser.js --pyflame build/pyflame --python python3 --out DIR
//       profiles a small script (alpha() ~75% of the time, beta() ~25%) with
//       `pyflame run -o DIR/flame.svg -o DIR/flame.txt -- PYTHON app.py`, then checks it
//   svg_browser.js --svg FILE.svg --out DIR
//       checks an SVG made that way before (FILE.txt beside it is used when present)
//
// In chromium (Debian's, /usr/bin/chromium or $CHROMIUM, driven by playwright-core; never a
// downloaded browser) it opens the SVG from file:// and checks:
//   - the title shows the command; one <g> per frame, every frame of the collapsed stacks
//     (FILE.txt) wide enough to draw is there at its depth with its sample count
//   - hovering beta's frame puts "beta (FILE:LINE) - N samples, P%" in the details line
//   - clicking beta zooms: beta and its ancestors span the full width, its children scale
//     up, alpha's frames are hidden; Reset Zoom puts every frame back where it was
//   - Search (the control, then typing a regex in the prompt) highlights the matching
//     frames and shows their share, close to alpha's (~75%); Clear undoes it; Ctrl-F does
//     the same, and frames matched inside matched frames are not counted twice; Escape clears
//   - no console error and no uncaught exception, from load to the end
// Screenshots go to DIR (initial.png, zoomed.png, search.png).  Exit 1 on any failure.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');
const { chromium } = require('playwright-core');

const HIGHLIGHT = '#e040e0';
// A frame w px wide is drawn 1 px narrower (half as wide under 2 px), a gap before the next.
const drawn = (w) => (w >= 2 ? w - 1 : w / 2);
const args = {};
for (let i = 2; i < process.argv.length; i += 2) {
	const k = process.argv[i];
	if (!/^--(pyflame|python|out|svg)$/.test(k) || i + 1 >= process.argv.length) {
		console.error('usage: svg_browser.js (--pyflame PYFLAME [--python PY] | --svg FILE) --out DIR');
		process.exit(2);
	}
	args[k.slice(2)] = process.argv[i + 1];
}
if (!args.out || !(args.pyflame || args.svg)) {
	console.error('usage: svg_browser.js (--pyflame PYFLAME [--python PY] | --svg FILE) --out DIR');
	process.exit(2);
}

const APP = `import time

def spin(seconds):
    end = time.perf_counter() + seconds
    n = 0
    while time.perf_counter() < end:
        n += 1
    return n

def alpha():
    spin(0.6)

def beta():
    spin(0.2)

def main():
    for _ in range(3):
        alpha()
        beta()

main()
`;

let failures = 0, passes = 0;
function ok(msg) { console.log(`  ok: ${msg}`); passes++; }
function bad(msg) { console.error(`  FAILED: ${msg}`); failures++; }
function check(cond, msg, detail) {
	if (cond)
		ok(msg);
	else
		bad(detail === undefined ? msg : `${msg}: ${detail}`);
	return cond;
}
function near(a, b, tol) { return Math.abs(a - b) <= tol; }

// The collapsed stacks as a tree: per depth, a multiset of "label\tcount" (depth 0 is "all").
function expectedFrames(txt, total, minPx) {
	const root = { count: 0, kids: new Map() };
	for (const line of txt.split('\n')) {
		const m = /^(.*) (\d+)$/.exec(line);
		if (!m)
			continue;
		const n = +m[2];
		let cur = root;
		root.count += n;
		for (const label of m[1].split(';')) {
			if (!cur.kids.has(label))
				cur.kids.set(label, { count: 0, kids: new Map() });
			cur = cur.kids.get(label);
			cur.count += n;
		}
	}
	const scale = 1180 / total, out = [];
	(function walk(node, label, depth) {
		if (node.count * scale < minPx)
			return;
		out.push(`${depth}\t${label}\t${node.count}`);
		for (const [l, k] of node.kids)
			walk(k, l, depth + 1);
	})(root, 'all', 0);
	return { frames: out.sort(), total: root.count };
}

async function main() {
	fs.mkdirSync(args.out, { recursive: true });
	let svgPath = args.svg, command = null;
	if (!svgPath) {
		const work = fs.mkdtempSync(path.join(os.tmpdir(), 'pyflame-svg-'));
		const app = path.join(work, 'app.py');
		fs.writeFileSync(app, APP);
		svgPath = path.join(args.out, 'flame.svg');
		const python = args.python || 'python3';
		execFileSync(args.pyflame, ['run', '-q', '-o', svgPath,
			'-o', svgPath.replace(/\.svg$/, '.txt'), '--', python, app], { stdio: 'inherit' });
		command = `${python} ${app}`;
		fs.rmSync(work, { recursive: true, force: true });
	}
	svgPath = path.resolve(svgPath);
	const svgText = fs.readFileSync(svgPath, 'utf8');
	const txtPath = svgPath.replace(/\.svg$/, '.txt');
	const txt = txtPath !== svgPath && fs.existsSync(txtPath) ? fs.readFileSync(txtPath, 'utf8') : null;

	const profileDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pyflame-chromium-'));
	// A fresh profile directory: launchPersistentContext passes it as --user-data-dir.
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
		await run(page, svgText, txt, command);
		// Let late errors (timers, handlers) surface before judging.
		await page.waitForTimeout(200);
	} catch (e) {
		// Playwright's messages carry a long call log: its first line and where we were.
		const where = (/\n\s+at (?:async )?(run|main|searchFor) \(.*?:(\d+):\d+\)/.exec(e.stack || '') || []);
		bad(`browser session: ${String(e.message || e).split('\n')[0]}` +
			(where[1] ? ` (in ${where[1]}, svg_browser.js:${where[2]})` : ''));
	} finally {
		await browser.close();
		fs.rmSync(profileDir, { recursive: true, force: true });
	}
	check(errors.length === 0, 'no console errors or uncaught exceptions', errors.join('; '));
	console.log(`screenshots (initial, zoomed, search): ${path.resolve(args.out)}`);
	console.log(`svg_browser: ${passes} passed, ${failures} failed`);
	process.exit(failures ? 1 : 0);
}

// Every frame as the page shows it: label, title, geometry, fill, visibility.
function frames(page) {
	return page.evaluate(() => Array.prototype.map.call(
		document.querySelectorAll('#frames > g'), (g, i) => {
			const r = g.querySelector('rect');
			const title = g.querySelector('title').textContent;
			const box = r.getBoundingClientRect();
			return {
				i, title, label: title.split('\n')[0],
				o: +g.getAttribute('data-o'), s: +g.getAttribute('data-s'),
				d: +g.getAttribute('data-d'),
				x: +r.getAttribute('x'), w: +r.getAttribute('width'),
				fill: r.getAttribute('fill'), text: g.querySelector('text').textContent,
				shown: getComputedStyle(g).display !== 'none' && box.width > 0,
			};
		}));
}

const textOf = (page, id) => page.evaluate((i) => {
	const e = document.getElementById(i);
	return e ? e.textContent : null;
}, id);
const isShown = (page, id) => page.evaluate((i) => {
	const e = document.getElementById(i);
	return !!e && getComputedStyle(e).display !== 'none' && e.getBoundingClientRect().width > 0;
}, id);
const rect = (page, f) => page.locator(`#frames > g:nth-child(${f.i + 1}) > rect`);

// Search through the control or Ctrl-F: the page prompts, we type the term.
async function searchFor(page, term, how) {
	const prompted = [];
	const onDialog = async (d) => {
		prompted.push(d.type());
		if (d.type() === 'prompt')
			await d.accept(term);
		else
			await d.dismiss();
	};
	page.on('dialog', onDialog);
	if (how === 'control')
		await page.locator('#search').click();
	else
		await page.keyboard.press('Control+f');
	await page.waitForFunction(() => document.getElementById('matched').textContent !== '',
		null, { timeout: 5000 }).catch(() => {});
	page.off('dialog', onDialog);
	return prompted;
}

function matchedPct(s) {
	const m = /Matched: ([\d.]+)% \((\d+) frames?\)/.exec(s || '');
	return m ? { pct: +m[1], n: +m[2] } : null;
}

async function run(page, svgText, txt, command) {
	const total = +/data-total="(\d+)"/.exec(svgText)[1];
	const W = 1200, PAD = 10, FULL = W - 2 * PAD;
	console.log(`svg_browser: ${total} samples`);

	// --- rendering -------------------------------------------------------------------
	const title = await textOf(page, 'title');
	check(title && /app\.py/.test(title) && (!command || title === command),
		`the title shows the command (${JSON.stringify(title)})`);
	const orig = await frames(page);
	const inFile = (svgText.match(/<g data-o=/g) || []).length;
	check(orig.length > 0 && orig.length === inFile,
		`a <g> per frame (${orig.length} in the page, ${inFile} in the file)`);
	check(orig.every((f) => f.shown && f.w > 0 && f.x >= PAD - 0.05 && f.x + f.w <= W - PAD + 0.2),
		'every frame is drawn inside the graph');
	// Neighbours at one depth are drawn apart, so two of the same colour are told apart.
	const touching = orig.filter((f) => f.w >= 2 && orig.some((g) => g.d === f.d && g.o === f.o + f.s &&
		f.x + f.w > g.x - 0.5));
	check(touching.length === 0, 'neighbouring frames are drawn with a gap between them',
		JSON.stringify(touching.slice(0, 2).map((f) => f.label)));
	const root = orig.find((f) => f.d === 0);
	check(root && root.label === 'all' && near(root.w, drawn(FULL), 0.1), 'the root frame spans the width');
	if (txt) {
		const minPx = +(/narrower than ([\d.]+) px/.exec(svgText) || [0, 0.1])[1];
		const want = expectedFrames(txt, total, minPx);
		const got = orig.map((f) => `${f.d}\t${f.label}\t${f.s}`).sort();
		const missing = want.frames.filter((x) => !got.includes(x));
		const extra = got.filter((x) => !want.frames.includes(x));
		check(want.total === total && missing.length === 0 && extra.length === 0,
			'the frames are the collapsed stacks\' (label, depth, samples)',
			`missing ${JSON.stringify(missing.slice(0, 3))}, extra ${JSON.stringify(extra.slice(0, 3))}`);
	}
	const alphas = orig.filter((f) => /^alpha \(/.test(f.label));
	const betas = orig.filter((f) => /^beta \(/.test(f.label));
	if (!check(alphas.length >= 1 && betas.length >= 1, 'alpha and beta have frames'))
		return;
	const alphaS = alphas.reduce((a, f) => a + f.s, 0);
	const betaS = betas.reduce((a, f) => a + f.s, 0);
	const alphaPct = 100 * alphaS / total;
	// Relative to each other, so a slow interpreter start-up on a loaded machine does not
	// matter; the search below must then show alpha's exact share of all samples.
	const alphaRel = 100 * alphaS / (alphaS + betaS);
	check(near(alphaRel, 75, 10) && alphaPct >= 50,
		`the profile is as run: alpha ${alphaPct.toFixed(1)}%, beta ${(100 * betaS / total).toFixed(1)}% ` +
		`(alpha ${alphaRel.toFixed(1)}% of the two)`);
	const beta = betas.reduce((a, f) => (f.s > a.s ? f : a));
	check(near(beta.w, drawn(beta.s * FULL / total), 0.1), `beta's width is its share (${beta.w} px)`);
	check(beta.text.length > 0 && beta.label.startsWith(beta.text.replace(/\.\.$/, '')),
		`beta's frame is labelled (${JSON.stringify(beta.text)})`);
	// fullPage screenshots hang on an SVG document: make the viewport the graph's size.
	const height = await page.evaluate(() => +document.documentElement.getAttribute('height'));
	await page.setViewportSize({ width: W, height: Math.min(Math.max(height, 200), 4000) });
	await page.screenshot({ path: path.join(args.out, 'initial.png') });

	// --- hover ---------------------------------------------------------------------------
	await rect(page, beta).hover();
	const details = await textOf(page, 'details');
	const m = /^beta \((.+):(\d+)\) - (\d+) samples?, ([\d.]+)%$/.exec(details || '');
	check(m && /app\.py$/.test(m[1]) && +m[3] === beta.s && near(+m[4], 100 * beta.s / total, 0.006),
		`hovering beta shows function, file:line, samples and percent (${JSON.stringify(details)})`);
	await page.mouse.move(2, 2);
	check((await textOf(page, 'details')).trim() === '', 'leaving the frame clears the details line');

	// --- zoom ----------------------------------------------------------------------------
	check(!(await isShown(page, 'reset')), 'Reset Zoom is hidden before zooming');
	await rect(page, beta).click();
	let now = await frames(page);
	const zb = now[beta.i];
	check(zb.shown && near(zb.x, PAD, 0.1) && near(zb.w, drawn(FULL), 0.1),
		`clicking beta zooms: beta spans the width (x=${zb.x}, w=${zb.w})`);
	check(now.filter((f) => alphas.some((a) => a.i === f.i)).every((f) => !f.shown),
		'alpha\'s frames are hidden');
	const ancestors = orig.filter((f) => f.d < beta.d && f.o <= beta.o && f.o + f.s >= beta.o + beta.s);
	check(ancestors.length === beta.d && ancestors.every((f) => now[f.i].shown && near(now[f.i].w, drawn(FULL), 0.1)),
		`beta's ${ancestors.length} ancestors span the width`);
	const kids = orig.filter((f) => f.d > beta.d && f.o >= beta.o && f.o + f.s <= beta.o + beta.s);
	check(kids.length > 0 && kids.every((f) => now[f.i].shown &&
		near(now[f.i].w, drawn(f.s * FULL / beta.s), 0.1) && near(now[f.i].x, PAD + (f.o - beta.o) * FULL / beta.s, 0.1)),
		`beta's ${kids.length} descendants are scaled to the zoom`);
	check(now.filter((f) => f.shown).length === ancestors.length + 1 + kids.length,
		'nothing else is shown');
	check(await isShown(page, 'reset'), 'Reset Zoom is shown');
	await page.screenshot({ path: path.join(args.out, 'zoomed.png') });

	await page.locator('#reset').click();
	now = await frames(page);
	const moved = now.filter((f, i) => !f.shown || f.x !== orig[i].x || f.w !== orig[i].w || f.text !== orig[i].text);
	check(moved.length === 0, 'Reset Zoom puts every frame back', JSON.stringify(moved.slice(0, 3)));
	check(!(await isShown(page, 'reset')), 'Reset Zoom hides itself');

	// --- search --------------------------------------------------------------------------
	check(!(await isShown(page, 'clear')) && (await textOf(page, 'matched')) === '',
		'no search shown before searching');
	let prompted = await searchFor(page, '^alpha ', 'control');
	let got = matchedPct(await textOf(page, 'matched'));
	check(prompted.length === 1 && prompted[0] === 'prompt', 'the Search control prompts for a regex',
		JSON.stringify(prompted));
	check(got && near(got.pct, alphaPct, 0.051) && got.n === alphas.length,
		`searching ^alpha shows alpha's share (${JSON.stringify(await textOf(page, 'matched'))}, alpha is ${alphaPct.toFixed(1)}%)`);
	now = await frames(page);
	const lit = now.filter((f) => f.fill === HIGHLIGHT).map((f) => f.i);
	check(lit.length === alphas.length && alphas.every((a) => lit.includes(a.i)),
		'the matching frames, and only they, are highlighted');
	check(await isShown(page, 'clear'), 'Clear is shown');
	await page.screenshot({ path: path.join(args.out, 'search.png') });
	await page.locator('#clear').click();
	now = await frames(page);
	check(now.every((f, i) => f.fill === orig[i].fill) && (await textOf(page, 'matched')) === '' &&
		!(await isShown(page, 'clear')), 'Clear restores the colours');

	// Ctrl-F, a regex matching nested frames: main and spin under it count once.
	prompted = await searchFor(page, '^(main|spin) ', 'keyboard');
	got = matchedPct(await textOf(page, 'matched'));
	const mains = orig.filter((f) => /^main \(/.test(f.label));
	const spins = orig.filter((f) => /^spin \(/.test(f.label));
	const mainPct = 100 * mains.reduce((a, f) => a + f.s, 0) / total;
	check(prompted.length === 1 && got && got.n === mains.length + spins.length && near(got.pct, mainPct, 0.051),
		`Ctrl-F searches; nested matches count once (${JSON.stringify(await textOf(page, 'matched'))}, main is ${mainPct.toFixed(1)}%)`);
	await page.keyboard.press('Escape');
	now = await frames(page);
	check(now.every((f, i) => f.fill === orig[i].fill) && (await textOf(page, 'matched')) === '',
		'Escape clears the search');

	// A search while zoomed, then Escape: both undone.
	await rect(page, beta).click();
	await searchFor(page, 'beta', 'keyboard');
	await page.keyboard.press('Escape');
	now = await frames(page);
	check(now.every((f, i) => f.shown && f.x === orig[i].x && f.fill === orig[i].fill),
		'Escape also resets the zoom');
}

main().catch((e) => {
	console.error(`svg_browser: ${e.stack || e}`);
	process.exit(1);
});
