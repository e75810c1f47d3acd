import { pipelineFloor } from './lib/pipeline-floor.mjs';
import { defer, finish, startBench } from './lib/run.mjs';
import { createDatabase } from './lib/system.mjs';
startBench({ capMs: 200_000 });
await finish((async () => {
  const { url } = await createDatabase(defer);
  for (const rate of [200, 200, 100, 300]) {
    const r = await pipelineFloor({ databaseUrl: url, connections: 50, durationS: 5, workerConcurrency: 50, rate });
    console.log(rate, JSON.stringify(r));
  }
})());
