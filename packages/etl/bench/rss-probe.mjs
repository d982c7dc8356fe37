// Preloaded into a benchmarked child process: reports its peak RSS (kernel
// accounting) and the peak V8 heap in use (sampled every 50 ms) on exit.
import { writeSync } from 'node:fs';

let maxHeap = 0;
const sample = () => {
  maxHeap = Math.max(maxHeap, process.memoryUsage().heapUsed);
};
setInterval(sample, 50).unref();

process.on('exit', () => {
  sample();
  writeSync(
    2,
    `\nBENCH_MAX_RSS_KB=${process.resourceUsage().maxRSS}\nBENCH_MAX_HEAP_KB=${Math.round(maxHeap / 1024)}\n`,
  );
});
