#!/usr/bin/env node
// timeline_check.mjs FILE.trace.json [FUNCTION] - check a pyflame timeline (Chrome Trace Event
// Format) two ways: its structure (every sampled thread named by a thread_name event with its
// TID, complete events nested properly per thread, FUNCTION among them), and by loading it
// with Chrome DevTools' own trace engine (@paulirish/trace_engine), which must find every
// named thread with its events arranged in a call tree.  Needs NODE_PATH to hold the engine.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

function fail(msg) {
	console.error(`timeline_check: ${msg}`);
	process.exit(1);
}

const [file, want] = process.argv.slice(2);
if (!file)
	fail('usage: timeline_check.mjs FILE.trace.json [FUNCTION]');
const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
if (!Array.isArray(doc.traceEvents))
	fail('no traceEvents array');

const named = new Map();		// "pid/tid" -> thread name
const byThread = new Map();		// "pid/tid" -> complete events
for (const e of doc.traceEvents) {
	if (!Number.isInteger(e.pid) || !Number.isInteger(e.tid))
		fail(`an event without integer pid/tid: ${JSON.stringify(e)}`);
	const key = `${e.pid}/${e.tid}`;
	if (e.ph === 'M' && e.name === 'thread_name')
		named.set(key, e.args.name);
	if (e.ph !== 'X')
		continue;
	if (typeof e.name !== 'string' || !(e.ts >= 0) || !(e.dur >= 0))
		fail(`a malformed complete event: ${JSON.stringify(e)}`);
	if (!byThread.has(key))
		byThread.set(key, []);
	byThread.get(key).push(e);
}
if (!byThread.size)
	fail('no complete events');
let found = false;
for (const [key, evs] of byThread) {
	if (!named.has(key))
		fail(`thread ${key} has events but no thread_name`);
	// Nesting: sorted by start (parents first), each event ends within the one enclosing it.
	evs.sort((a, b) => a.ts - b.ts || b.dur - a.dur);
	const open = [];
	for (const e of evs) {
		while (open.length && e.ts >= open[open.length - 1].ts + open[open.length - 1].dur - 1e-6)
			open.pop();
		const parent = open[open.length - 1];
		if (parent && e.ts + e.dur > parent.ts + parent.dur + 1e-3)
			fail(`thread ${key}: ${e.name}@${e.ts}+${e.dur} overlaps ${parent.name}@${parent.ts}+${parent.dur}`);
		open.push(e);
		if (e.name === want)
			found = true;
	}
}
if (want && !found)
	fail(`no event named ${want}`);

// Chrome DevTools' trace engine: the threads and their call trees.
const require = createRequire(path.join(process.cwd(), 'x.js'));
let enginePath;
for (const dir of (process.env.NODE_PATH || '').split(':').filter(Boolean)) {
	const p = path.join(dir, '@paulirish/trace_engine/models/trace/trace.js');
	if (fs.existsSync(p))
		enginePath = p;
}
if (!enginePath) {
	try {
		enginePath = require.resolve('@paulirish/trace_engine/models/trace/trace.js');
	} catch {
		fail('@paulirish/trace_engine is not installed (set NODE_PATH)');
	}
}
globalThis.DOMRect ??= class DOMRect {
	constructor(x = 0, y = 0, width = 0, height = 0) {
		Object.assign(this, { x, y, width, height });
	}
};
const Trace = await import(enginePath);
const model = Trace.TraceModel.Model.createWithAllHandlers();
await model.parse(doc.traceEvents);
const parsed = model.parsedTrace();
const data = parsed.data ?? parsed;
const seen = new Map();
for (const [pid, proc] of data.Renderer.processes)
	for (const [tid, t] of proc.threads)
		seen.set(`${pid}/${tid}`, t);
for (const [key, name] of named) {
	if (!byThread.has(key))
		continue;
	const t = seen.get(key);
	if (!t)
		fail(`DevTools' trace engine did not find thread ${key} (${name})`);
	if (!t.entries?.length || !t.tree?.roots?.size)
		fail(`DevTools' trace engine found no call tree on thread ${key} (${name})`);
	if (t.name !== name)
		fail(`DevTools' trace engine names thread ${key} '${t.name}', not '${name}'`);
}
console.log(`timeline_check: ${file}: ${byThread.size} threads ` +
	    `(${[...byThread.keys()].map((k) => `${k} ${named.get(k)}`).join(', ')}), ` +
	    `${[...byThread.values()].reduce((a, v) => a + v.length, 0)} events, nested; ` +
	    `DevTools' trace engine built a call tree for each`);
