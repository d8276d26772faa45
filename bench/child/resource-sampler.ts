/** CPU time and peak RSS of this process since the last reset (read by the benchmark over IPC). */
import type { ChildStats } from './protocol.js';

const hrtimeUs = () => Number(process.hrtime.bigint() / 1000n);

export function createResourceSampler(intervalMs = 50) {
  let cpu = process.cpuUsage();
  let peak = process.memoryUsage.rss();
  let since = hrtimeUs();
  // Sampling is cheap (one syscall) and unref'd, so it never keeps the process alive.
  const timer = setInterval(() => {
    const rss = process.memoryUsage.rss();
    if (rss > peak) peak = rss;
  }, intervalMs);
  timer.unref();
  return {
    reset(): void {
      cpu = process.cpuUsage();
      peak = process.memoryUsage.rss();
      since = hrtimeUs();
    },
    read(): ChildStats {
      const d = process.cpuUsage(cpu);
      const rss = process.memoryUsage.rss();
      if (rss > peak) peak = rss;
      return { cpuUserUs: d.user, cpuSystemUs: d.system, rssPeakBytes: peak, maxRssBytes: process.resourceUsage().maxRSS * 1024, sinceUs: since, atUs: hrtimeUs() };
    },
    stop(): void {
      clearInterval(timer);
    },
  };
}
