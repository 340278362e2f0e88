#!/usr/bin/env node
// npm run stack -- start|stop|status|provision [--profile dev|test]
import { provision } from './provision.mjs';
import { start, status, stop } from './stack.mjs';

const [command = 'status', ...rest] = process.argv.slice(2);
const profileFlag = rest.indexOf('--profile');
const profile = profileFlag >= 0 ? rest[profileFlag + 1] : 'dev';

try {
  switch (command) {
    case 'provision':
      provision();
      break;
    case 'start': {
      const { state } = await start(profile);
      console.log(`KAFKA_BROKERS=${state.kafka.brokers}\nMONGODB_URI=${state.mongo.uri}`);
      break;
    }
    case 'stop':
      await stop();
      break;
    case 'status':
      console.log(JSON.stringify(status(), null, 2));
      break;
    default:
      console.error('usage: npm run stack -- start|stop|status|provision [--profile dev|test]');
      process.exit(2);
  }
} catch (err) {
  console.error(`[stack] ${err.message}`);
  process.exit(1);
}
