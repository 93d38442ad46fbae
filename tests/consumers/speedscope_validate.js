#!/usr/bin/env node
// speedscope_validate.js SCHEMA.json FILE.speedscope.json [FUNCTION] - validate a pyflame
// speedscope file against the schema the speedscope package ships (with ajv), then check what
// the schema cannot: frame indices in range, one weight per sample, endValue = sum of weights,
// and (if given) that FUNCTION is a frame.  Exit 1 on failure.
'use strict';
const fs = require('fs');
const Ajv = require('ajv');

function fail(msg) {
	console.error(`speedscope_validate: ${msg}`);
	process.exit(1);
}

const [schemaPath, file, want] = process.argv.slice(2);
if (!file)
	fail('usage: speedscope_validate.js SCHEMA.json FILE [FUNCTION]');
const schema = JSON.parse(fs.readFileSync(schemaPath, 'utf8'));
const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
const ajv = new Ajv({ allErrors: true, strict: false });
const validate = ajv.compile(schema);
if (!validate(doc))
	fail(`${file} does not match the schema: ${ajv.errorsText(validate.errors)}`);

const nframes = doc.shared.frames.length;
if (!doc.profiles.length)
	fail('no profiles');
for (const p of doc.profiles) {
	if (p.type !== 'sampled')
		fail(`profile ${p.name} is ${p.type}`);
	if (p.samples.length !== p.weights.length)
		fail(`profile ${p.name}: ${p.samples.length} samples, ${p.weights.length} weights`);
	for (const s of p.samples)
		for (const f of s)
			if (!Number.isInteger(f) || f < 0 || f >= nframes)
				fail(`profile ${p.name}: frame index ${f} out of range`);
	const sum = p.weights.reduce((a, b) => a + b, 0);
	if (sum !== p.endValue - p.startValue)
		fail(`profile ${p.name}: weights sum to ${sum}, endValue - startValue is ${p.endValue - p.startValue}`);
}
if (!(doc.activeProfileIndex >= 0 && doc.activeProfileIndex < doc.profiles.length))
	fail('activeProfileIndex out of range');
if (want && !doc.shared.frames.some((f) => f.name === want))
	fail(`no frame named ${want}`);
console.log(`speedscope_validate: ${file}: valid; ${doc.profiles.length} profiles, ${nframes} frames: ` +
	    doc.profiles.map((p) => p.name).join('; '));
