/** Scenario lookup by name and target. */
import type { RunSpec } from '../lib/spec.js';
import type { Scenario } from './context.js';
import { drain } from './drain.js';
import { e2e } from './e2e.js';
import { memory } from './memory.js';
import { startup } from './startup.js';
import { consume, pushConsume, receive, send } from './throughput.js';

export function scenarioFor(spec: RunSpec): Scenario {
  switch (spec.scenario) {
    case 'send':
    case 'send-batching':
      return send;
    case 'receive':
      return receive;
    case 'consume':
      return spec.target === 'broker' ? drain : consume;
    case 'push-consume':
      return pushConsume;
    case 'memory':
      return memory;
    case 'startup':
      return startup;
    case 'e2e':
      return e2e;
  }
}
