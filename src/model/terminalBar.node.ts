// fit's progress bar on a Node terminal: cli-progress, loaded on first use. The browser build of
// the library replaces this module by terminalBar.browser.ts (scripts/browserTwins.ts).

export interface Bar {
  start(total: number, value: number, payload: Record<string, string>): void;
  update(value: number, payload: Record<string, string>): void;
  stop(): void;
}

type CliProgress = { SingleBar: new (options: Record<string, unknown>) => Bar };

/** A bar with `format`, or undefined where stderr is not a terminal. */
export async function terminalBar(format: string): Promise<Bar | undefined> {
  if (process.stderr.isTTY !== true) return undefined;
  const module = (await import('cli-progress')) as CliProgress & { default?: CliProgress };
  const { SingleBar } = module.default ?? module;
  return new SingleBar({ format, barsize: 24, hideCursor: true, clearOnComplete: true, fps: 5 });
}
