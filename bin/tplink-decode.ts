#!/usr/bin/env node
import { runAsProcess } from '../src/cli/io';
import { runDecode } from '../src/capture/decode-cli';

runAsProcess((argv, io) => runDecode(argv, io));
