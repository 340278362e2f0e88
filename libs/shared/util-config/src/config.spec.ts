import { z } from 'zod';

import { ConfigError, describeConfig, env, loadConfig, maskUriPassword, secret } from './config';
import { kafkaSection, mongoSection } from './sections';

describe(loadConfig.name, () => {
  const shape = {
    kafka: kafkaSection,
    mongo: mongoSection,
    apiKey: secret('ADMIN_API_KEY', z.string().min(8)),
    limit: env('LIMIT', z.coerce.number().int().positive().default(5)),
  };

  it('builds a nested typed object with defaults', () => {
    const config = loadConfig(shape, {
      KAFKA_BROKERS: '127.0.0.1:9092, 127.0.0.1:9094',
      MONGODB_URI: 'mongodb://127.0.0.1:27017/?directConnection=true',
      ADMIN_API_KEY: 'supersecretvalue',
    });
    expect(config.kafka.brokers).toEqual(['127.0.0.1:9092', '127.0.0.1:9094']);
    expect(config.mongo.database).toBe('signalmesh');
    expect(config.limit).toBe(5);
  });

  it('reports every bad variable by name, never a secret value', () => {
    let caught: unknown;
    try {
      loadConfig(shape, { KAFKA_BROKERS: 'not a broker', MONGODB_URI: 'http://x', ADMIN_API_KEY: 'short', LIMIT: '-1' });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const error = caught as ConfigError;
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.issues.map((i) => i.variable).sort()).toEqual(['ADMIN_API_KEY', 'KAFKA_BROKERS', 'LIMIT', 'MONGODB_URI']);
    expect(error.message).not.toContain('short');
  });

  it('says a missing variable is required', () => {
    expect(() => loadConfig({ kafka: kafkaSection }, {})).toThrow('KAFKA_BROKERS: is required');
  });
});

describe(describeConfig.name, () => {
  it('masks secrets and URI passwords', () => {
    const shape = { mongo: mongoSection, key: secret('KEY', z.string()) };
    const config = loadConfig(shape, { MONGODB_URI: 'mongodb://app:hunter2@db.example.com:27017/x', KEY: 'k-123' });
    const described = describeConfig(shape, config);
    expect(described).toEqual({
      MONGODB_URI: 'mongodb://app:***@db.example.com:27017/x',
      MONGODB_DATABASE: 'signalmesh',
      KEY: '***',
    });
    expect(JSON.stringify(described)).not.toMatch(/hunter2|k-123/);
  });

  it('leaves URIs without a password alone', () => {
    expect(maskUriPassword('mongodb://127.0.0.1:27017')).toBe('mongodb://127.0.0.1:27017');
  });
});
