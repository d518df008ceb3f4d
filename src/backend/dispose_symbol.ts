/**
 * Makes sure `Symbol.dispose` exists before any class uses it as a method key. Node defines it,
 * but a fresh realm (a vm context, a test runner's sandbox) or an older runtime may not; then a
 * stand-in symbol is installed, which TypeScript's `using` helper looks up the same way.
 * Modules defining `[Symbol.dispose]` import this first.
 */
(Symbol as { dispose?: symbol }).dispose ??= Symbol('Symbol.dispose');

export {};
