import type { CliIo } from './io';

const GB = 1024 ** 3;
const MB = 1024 ** 2;

/** A one-line progress bar on stderr, only when stderr is a terminal (scripts get clean output). */
export function progressBar(io: CliIo, total: number, label: string): { update(done: number): void; finish(): void } {
  if (!io.stderr.isTTY) return { update: () => undefined, finish: () => undefined };
  const started = Date.now();
  let last = 0;
  const render = (done: number) => {
    const width = Math.max(10, Math.min(40, (io.stderr.columns ?? 80) - 50));
    const ratio = total > 0 ? Math.min(1, done / total) : 1;
    const filled = Math.round(ratio * width);
    const seconds = Math.max(0.001, (Date.now() - started) / 1000);
    const size = total >= GB ? `${(done / GB).toFixed(2)}/${(total / GB).toFixed(2)} GB` : `${(done / MB).toFixed(1)}/${(total / MB).toFixed(1)} MB`;
    io.stderr.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(ratio * 100).toFixed(0).padStart(3)}% ${size} ${(done / MB / seconds).toFixed(0)} MB/s`);
  };
  return {
    update(done) {
      const now = Date.now();
      if (now - last < 100) return;
      last = now;
      render(done);
    },
    finish() {
      render(total);
      io.stderr.write('\n');
    },
  };
}
