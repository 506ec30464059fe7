#!/usr/bin/env node
// Empties dist/ before every build, so dist/ (and the tarball `npm pack` makes of it) holds only what
// the current sources compile to: nothing left over from a deleted or renamed file.
const fs = require('node:fs');
const path = require('node:path');

fs.rmSync(path.join(__dirname, '..', 'dist'), { recursive: true, force: true });
