#!/usr/bin/env node
// pprof_roundtrip.js FILE.pb.gz [FUNCTION] - decode a pyflame pprof profile with the
// pprof-format package (an independent decoder), check its references, re-encode and decode
// it again, and check that FUNCTION (if given) has the most flat time.  Exit 1 on failure.
'use strict';
const fs = require('fs');
const zlib = require('zlib');
const { Profile } = require('pprof-format');

function fail(msg) {
	console.error(`pprof_roundtrip: ${msg}`);
	process.exit(1);
}

const [file, want] = process.argv.slice(2);
if (!file)
	fail('usage: pprof_roundtrip.js FILE.pb.gz [FUNCTION]');
const raw = fs.readFileSync(file);
if (raw[0] !== 0x1f || raw[1] !== 0x8b)
	fail(`${file} is not gzip`);
const prof = Profile.decode(zlib.gunzipSync(raw));
const strs = prof.stringTable.strings;
const str = (i) => {
	const n = Number(i);
	if (!(n >= 0 && n < strs.length))
		fail(`string index ${n} out of range (${strs.length} strings)`);
	return strs[n];
};

if (strs[0] !== '')
	fail('string_table[0] is not ""');
const types = prof.sampleType.map((t) => `${str(t.type)}/${str(t.unit)}`);
if (types[0] !== 'samples/count')
	fail(`first sample type is ${types[0]}`);
if (types.length > 1 && !/^(wall|cpu|gil)\/nanoseconds$/.test(types[1]))
	fail(`second sample type is ${types[1]}`);

const funcs = new Map(prof.function.map((f) => [Number(f.id), f]));
const locs = new Map(prof.location.map((l) => [Number(l.id), l]));
for (const f of prof.function) {
	if (!str(f.name))
		fail(`function ${f.id} has no name`);
	str(f.filename);
}
for (const l of prof.location) {
	if (!l.line.length)
		fail(`location ${l.id} has no line`);
	for (const ln of l.line)
		if (!funcs.has(Number(ln.functionId)))
			fail(`location ${l.id} refers to missing function ${ln.functionId}`);
}

const flat = new Map();
let total = 0;
for (const s of prof.sample) {
	if (s.value.length !== types.length)
		fail(`a sample has ${s.value.length} values for ${types.length} types`);
	if (!s.locationId.length)
		fail('a sample has no locations');
	for (const id of s.locationId)
		if (!locs.has(Number(id)))
			fail(`a sample refers to missing location ${id}`);
	const labels = new Map(s.label.map((l) => [str(l.key), l]));
	for (const k of ['pid', 'tid'])
		if (!labels.has(k) || !(Number(labels.get(k).num) > 0))
			fail(`a sample lacks the numeric label ${k}`);
	const leaf = locs.get(Number(s.locationId[0]));
	const name = str(funcs.get(Number(leaf.line[0].functionId)).name);
	const v = Number(s.value[s.value.length - 1]);
	flat.set(name, (flat.get(name) || 0) + v);
	total += Number(s.value[0]);
}
if (!total)
	fail('no samples');

// Round trip: what the decoder understood encodes and decodes to the same profile.
const again = Profile.decode(prof.encode());
if (again.sample.length !== prof.sample.length || again.location.length !== prof.location.length ||
    again.function.length !== prof.function.length)
	fail('re-encoding changed the profile');

const top = [...flat.entries()].sort((a, b) => b[1] - a[1]);
const comments = prof.comment.map(str);
console.log(`pprof_roundtrip: ${file}: ${prof.sample.length} samples (${total} counted), ` +
	    `${prof.function.length} functions, ${prof.location.length} locations, types ${types.join(' ')}`);
console.log(`pprof_roundtrip: comments: ${comments.join(' | ')}`);
console.log(`pprof_roundtrip: top flat: ${top.slice(0, 3).map((e) => e[0]).join(', ')}`);
const busiest = top.find((e) => e[0] !== '<idle>');
if (want && (!busiest || busiest[0] !== want))
	fail(`expected ${want} to have the most flat time (besides <idle>), got ${busiest && busiest[0]}`);
