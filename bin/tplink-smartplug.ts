#!/usr/bin/env node
import { runAsProcess } from '../src/cli/io';
import { runSmartplug } from '../src/cli/smartplug';

runAsProcess(runSmartplug);
