/** Runs the CLI in this process with its output captured: `const { code, out, err } = await cli('ratios', ...)`. */
import { main } from '../../src/cli';

export async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, { io: { stdout: (t) => void (out += t), stderr: (t) => void (err += t) } });
  return { code, out, err };
}
