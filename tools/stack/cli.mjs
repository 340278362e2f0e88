#!/usr/bin/env node
// npm run stack -- start|stop|status|provision|topics [--profile dev|test]
//   topics: create the mesh's topics on $KAFKA_BROKERS (or this checkout's running stack), e.g. as a deploy job.
import { provision } from './provision.mjs';
import { readState, start, status, stop } from './stack.mjs';
import { ensureTopics } from './topics.mjs';

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
    case 'topics': {
      const brokers = process.env.KAFKA_BROKERS ?? readState()?.kafka?.brokers;
      if (!brokers) throw new Error('set KAFKA_BROKERS or start the local stack first');
      const created = await ensureTopics(brokers);
      console.log(created.length ? `[stack] created topics: ${created.join(', ')}` : '[stack] all topics exist');
      break;
    }
    case 'status':
      console.log(JSON.stringify(status(), null, 2));
      break;
    default:
      console.error('usage: npm run stack -- start|stop|status|provision|topics [--profile dev|test]');
      process.exit(2);
  }
} catch (err) {
  console.error(`[stack] ${err.message}`);
  process.exit(1);
}
