// Temporary config trees for the config tests: writeTree({'a.yml': '...'}) -> directory.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export function writeTree(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slimprune-config-'));
  for (const [name, text] of Object.entries(files)) {
    const p = path.join(dir, name);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, text);
  }
  return dir;
}

/** The message of the error `fn` throws (fails the test when it does not throw). */
export function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected an error, got none');
}

export const PADDLE_CONFIGS = path.resolve(__dirname, '../../../shared/paddledet-configs');
export const OUR_CONFIGS = path.resolve(__dirname, '../../configs');

/** A minimal valid YOLOv3 config, as YAML text. */
export const MINIMAL_YOLO = `architecture: YOLOv3
YOLOv3:
  backbone: MobileNet
`;
