#!/usr/bin/env node
// Empties dist/ before every build, so dist/ (and the tarball `npm pack` makes of it) holds only what
// the current sources compile to: nothing left over from a deleted or renamed file. Given a folder
// name (the unit tier's build), empties that one instead.
const fs = require('node:fs');
const path = require('node:path');

fs.rmSync(path.join(__dirname, '..', process.argv[2] ?? 'dist'), { recursive: true, force: true });
