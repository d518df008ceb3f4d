// The --queue address: what is accepted and the one message for each way it can be wrong.
import { parseQueueUrl, QueueError } from '../../src/queue/url';
import { recordMeasurement } from '../../src/queue/record';
import { measureJobId } from '../../src/queue/jobs';
import { readSensitivityFile, writeSensitivityFile, type SensitivityFile } from '../../src/prune/sensitivity_file';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

describe('parseQueueUrl', () => {
  test('host, port and an optional database', () => {
    expect(parseQueueUrl('redis://127.0.0.1:6379')).toEqual({ host: '127.0.0.1', port: 6379, db: 0, url: 'redis://127.0.0.1:6379' });
    expect(parseQueueUrl('redis://queue.lab:7000/3')).toMatchObject({ host: 'queue.lab', port: 7000, db: 3 });
    expect(parseQueueUrl('redis://[::1]:6380/')).toMatchObject({ host: '::1', port: 6380, db: 0 });
  });

  test.each([
    ['', /expected redis:\/\/HOST:PORT\[\/DB\] \(a Redis address\), got ''/],
    ['localhost:6379', /\(the redis:\/\/ scheme\), got 'localhost:6379'/],
    ['rediss://h:6379', /\(the redis:\/\/ scheme\)/],
    ['http://h:6379', /\(the redis:\/\/ scheme\)/],
    ['redis://h', /\(a host and a port\), got 'redis:\/\/h'/],
    ['redis://:6379', /\(a host and a port\)/],
    ['redis://h:', /\(a port in 1\.\.65535\)/],
    ['redis://h:0', /\(a port in 1\.\.65535\)/],
    ['redis://h:65536', /\(a port in 1\.\.65535\)/],
    ['redis://h:63x9', /\(a port in 1\.\.65535\)/],
    ['redis://h:6379/x', /\(a database number\), got 'redis:\/\/h:6379\/x'/],
    ['redis://h:6379/1/2', /\(a database number\)/],
    ['redis://u:p@h:6379', /\(no user or password\)/],
    ['redis://h:6379?db=1', /\(no query or fragment\)/],
  ])('%j is refused', (url, message) => {
    expect(() => parseQueueUrl(url)).toThrow(QueueError);
    expect(() => parseQueueUrl(url)).toThrow(message);
  });
});

describe('measureJobId', () => {
  const spec = { config: 'configs/a.yml', overrides: ['weights=w'] };
  test('one id per (digest, spec, param, ratio), whatever the ratio spelling; BullMQ-safe', () => {
    const id = measureJobId('ab'.repeat(32), spec, 'yolo_block.0.0.0.conv.weights', 0.1);
    expect(id).toBe(measureJobId('ab'.repeat(32), { ...spec }, 'yolo_block.0.0.0.conv.weights', 0.1000000001));
    expect(id).not.toContain(':');
    expect(id).not.toBe(measureJobId('ab'.repeat(32), spec, 'yolo_block.0.0.0.conv.weights', 0.2));
    expect(id).not.toBe(measureJobId('cd'.repeat(32), spec, 'yolo_block.0.0.0.conv.weights', 0.1));
    expect(id).not.toBe(measureJobId('ab'.repeat(32), { ...spec, maxEvalBatches: 2 }, 'yolo_block.0.0.0.conv.weights', 0.1));
    expect(measureJobId('ab'.repeat(32), spec, 'odd:name', 0.1)).not.toContain(':');
  });
});

describe('recordMeasurement', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sp-record-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const start: SensitivityFile = { version: 1, metric: 'mAP', base: 0.8, config_digest: 'abc123', sensitivities: {} };

  test('a result that arrives twice is written once: the second leaves the file untouched', () => {
    const file = path.join(dir, 's.json');
    writeSensitivityFile(file, start);
    const first = recordMeasurement(file, start, 'conv1.weights', 0.3, 0.6);
    expect(first.written).toBe(true);
    expect(first.loss).toBeCloseTo(0.25, 12);
    const bytes = fs.readFileSync(file, 'utf8');
    const ino = fs.statSync(file).ino;
    // The same point again, even with another value (a second worker's run): nothing written.
    const again = recordMeasurement(file, first.file, 'conv1.weights', 0.30000000001, 0.5);
    expect(again.written).toBe(false);
    expect(again.loss).toBe(first.loss);
    expect(again.file).toBe(first.file);
    expect(fs.statSync(file).ino).toBe(ino);
    expect(fs.readFileSync(file, 'utf8')).toBe(bytes);
    expect(readSensitivityFile(file).sensitivities).toEqual({ 'conv1.weights': { '0.3': first.loss } });
  });

  test('a metric that is not a finite number is refused naming the point', () => {
    const file = path.join(dir, 'nan.json');
    expect(() => recordMeasurement(file, start, 'conv2.weights', 0.5, NaN)).toThrow(/conv2\.weights at ratio 0\.5: expected a finite mAP, got NaN/);
    expect(fs.existsSync(file)).toBe(false);
  });
});
