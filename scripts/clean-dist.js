#!/usr/bin/env node
// Empties dist/ before the build that `npm pack` / `npm publish` run (prepack), so the tarball holds
// only what the current sources compile to: nothing left over from a deleted or renamed file.
const fs = require('node:fs');
const path = require('node:path');

fs.rmSync(path.join(__dirname, '..', 'dist'), { recursive: true, force: true });
